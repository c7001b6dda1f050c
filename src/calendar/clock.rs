//! The one source of "now" and of waiting, for every part of the bot that needs either.
//!
//! `Clock::System` is the wall clock. `Clock::Simulated` starts at a chosen instant and runs `speed` times faster
//! than real time, so a 6¼-hour session passes in minutes. It measures real time with tokio's clock, which tests
//! can pause and advance: a test then controls simulated time completely and never sleeps for real.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;
use tokio::time::Instant;

#[derive(Debug, Error, PartialEq)]
#[error("simulated clock speed must be a finite number above zero (1 is real time), got {0}")]
pub struct InvalidSpeed(pub f64);

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Simulated(SimulatedClock),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Simulated(sim) => sim.now(),
        }
    }

    /// Waits until this clock reads at least `deadline`. Returns at once if it already does.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        loop {
            let remaining = deadline - self.now();
            if remaining <= TimeDelta::zero() {
                return;
            }
            let remaining = remaining.to_std().unwrap_or_default();
            let real = match self {
                Clock::System => remaining,
                Clock::Simulated(sim) => sim.real_duration(remaining),
            };
            // The loop absorbs rounding in the speed conversion and a system clock that stepped meanwhile.
            tokio::time::sleep(real.max(Duration::from_micros(1))).await;
        }
    }

    /// Waits until `deadline` while nothing else is scheduled on this clock, as between two trading days: the
    /// wall clock sleeps; a simulated clock jumps there at once, so a simulated week does not idle for real.
    pub async fn pass_idle_time_until(&self, deadline: DateTime<Utc>) {
        match self {
            Clock::System => self.sleep_until(deadline).await,
            Clock::Simulated(sim) => sim.jump_to(deadline),
        }
    }

    /// Waits for `duration` of this clock's time.
    pub async fn sleep(&self, duration: Duration) {
        let deadline = self.now() + TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX);
        self.sleep_until(deadline).await;
    }
}

/// A clock that starts at `origin` and advances `speed` times faster than real time.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    inner: Arc<SimulatedInner>,
}

#[derive(Debug)]
struct SimulatedInner {
    origin: DateTime<Utc>,
    real_origin: Instant,
    speed: f64,
    /// Simulated nanoseconds skipped by jumps, on top of the time that ran.
    skipped_nanos: AtomicI64,
}

impl SimulatedClock {
    /// `speed` must be a finite number above zero; 1.0 is real time.
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Result<Self, InvalidSpeed> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(InvalidSpeed(speed));
        }
        Ok(SimulatedClock {
            inner: Arc::new(SimulatedInner {
                origin,
                real_origin: Instant::now(),
                speed,
                skipped_nanos: AtomicI64::new(0),
            }),
        })
    }

    pub fn speed(&self) -> f64 {
        self.inner.speed
    }

    pub fn now(&self) -> DateTime<Utc> {
        let real = self.inner.real_origin.elapsed();
        let simulated_nanos = real.as_nanos() as f64 * self.inner.speed;
        let skipped = self.inner.skipped_nanos.load(Ordering::Acquire);
        self.inner.origin + TimeDelta::nanoseconds(simulated_nanos as i64 + skipped)
    }

    /// Moves the clock forward to `at` at once; never backwards.
    fn jump_to(&self, at: DateTime<Utc>) {
        let ahead = (at - self.now()).num_nanoseconds().unwrap_or(0);
        if ahead > 0 {
            self.inner.skipped_nanos.fetch_add(ahead, Ordering::AcqRel);
        }
    }

    fn real_duration(&self, simulated: Duration) -> Duration {
        Duration::from_secs_f64(simulated.as_secs_f64() / self.inner.speed)
    }
}

impl From<SimulatedClock> for Clock {
    fn from(sim: SimulatedClock) -> Self {
        Clock::Simulated(sim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn origin() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, 30, 0).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn simulated_time_runs_speed_times_faster_than_real_time() {
        let clock = SimulatedClock::new(origin(), 75.0).unwrap();
        assert_eq!(clock.now(), origin());
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(clock.now(), origin() + TimeDelta::seconds(300));
    }

    #[tokio::test(start_paused = true)]
    async fn sleeping_in_simulated_time_takes_a_speedth_of_real_time() {
        let clock: Clock = SimulatedClock::new(origin(), 120.0).unwrap().into();
        let real_start = Instant::now();
        let session = TimeDelta::hours(6) + TimeDelta::minutes(15);
        clock.sleep_until(origin() + session).await;
        let real = real_start.elapsed();
        assert!(clock.now() >= origin() + session);
        assert!(clock.now() < origin() + session + TimeDelta::milliseconds(1));
        assert_eq!(
            real.as_secs(),
            187,
            "6h15m at 120x is 187.5 s of real time, got {real:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sleeping_for_a_duration_counts_simulated_time() {
        let clock: Clock = SimulatedClock::new(origin(), 60.0).unwrap().into();
        let real_start = Instant::now();
        clock.sleep(Duration::from_secs(90)).await;
        assert!(clock.now() >= origin() + TimeDelta::seconds(90));
        assert_eq!(real_start.elapsed().as_millis(), 1_500);
    }

    #[tokio::test(start_paused = true)]
    async fn sleeping_until_the_past_returns_at_once() {
        let clock: Clock = SimulatedClock::new(origin(), 10.0).unwrap().into();
        let before = Instant::now();
        clock.sleep_until(origin() - TimeDelta::hours(1)).await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_is_skipped_on_a_simulated_clock_and_never_backwards() {
        let clock: Clock = SimulatedClock::new(origin(), 10.0).unwrap().into();
        let real_start = Instant::now();
        let monday = origin() + TimeDelta::days(3);
        clock.pass_idle_time_until(monday).await;
        assert_eq!(real_start.elapsed(), Duration::ZERO);
        assert_eq!(clock.now(), monday);
        clock.pass_idle_time_until(origin()).await;
        assert_eq!(clock.now(), monday);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.now(), monday + TimeDelta::seconds(10));
    }

    #[test]
    fn a_stopped_or_backward_clock_is_refused() {
        for bad in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            assert!(SimulatedClock::new(origin(), bad).is_err(), "{bad}");
        }
    }
}
