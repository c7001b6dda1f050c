//! Growing waits with jitter, for reconnects after a drop and probes after a 403: never a tight loop, and many
//! bots restarting at once do not hammer the broker in step.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
    jitter: bool,
    rng: ChaCha8Rng,
}

impl Backoff {
    /// Doubles from `min` to `max`; each wait is drawn from the upper half of the current step.
    pub fn with_jitter(min: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            min,
            max: max.max(min),
            current: min,
            jitter: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Doubles from `min` to `max` exactly: for probes, whose schedule a trader reads in the log.
    pub fn exact(min: Duration, max: Duration) -> Self {
        Backoff {
            jitter: false,
            ..Backoff::with_jitter(min, max, 0)
        }
    }

    pub fn next_wait(&mut self) -> Duration {
        let step = self.current;
        self.current = (self.current * 2).min(self.max);
        if self.jitter {
            step.mul_f64(self.rng.random_range(0.5..=1.0))
        } else {
            step
        }
    }

    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_reset() {
        let mut probes = Backoff::exact(Duration::from_secs(30), Duration::from_secs(300));
        let waits: Vec<u64> = (0..6).map(|_| probes.next_wait().as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        probes.reset();
        assert_eq!(probes.next_wait().as_secs(), 30);

        let mut reconnects =
            Backoff::with_jitter(Duration::from_millis(500), Duration::from_secs(30), 1);
        for step in [500u64, 1000, 2000, 4000] {
            let wait = reconnects.next_wait().as_millis() as u64;
            assert!(
                (step / 2..=step).contains(&wait),
                "{wait} ms for a {step} ms step"
            );
        }
    }
}
