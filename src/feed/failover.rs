//! The failover state machine: stream when the WebSocket lets us, poll LTP when it does not, climb back.
//!
//! One task owns the connection, the poll cadence and every timer, all on the injected clock:
//! - a handshake refused with 403, or with 401 when no new token is found, starts polling at once and probes the
//!   WebSocket again on a short growing interval, logging the refusal and its likely causes once per episode;
//! - a token the REST API accepts is a good one: only a 401 on polling too (and no new token) means
//!   `AuthFailed`: no prices, a slow check for a new token;
//! - a drop reconnects with backoff and jitter, polling if not streaming again within the grace;
//! - silence (no frame at all for the stall timeout during continuous trading) polls and reconnects;
//! - when the stream is back, polling goes on for one poll interval of overlap, then stops;
//! - a 429 on polling tries the WebSocket at once, keeps the cadence for a short burst and slows it after;
//!   nothing ends the task but its shutdown signal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::gate::{TickGate, discard_future_trade_time};
use super::price_sanity::PriceSanity;
use super::status::{FallbackReason, FeedState, FeedStats};
use crate::broker::{BrokerError, ErrorClass, FeedBroker, FeedStream, PriceUpdate, StreamEvent};
use crate::calendar::{Clock, EquityClass, MarketCalendar};
use crate::config::FeedSettings;
use crate::domain::{InstrumentId, Tick, TickSource};

/// How long a dropped stream may take to come back before polling starts.
const RECONNECT_GRACE: Duration = Duration::from_secs(2);
/// How often a feed in `AuthFailed` looks for a new token.
const TOKEN_RECHECK: Duration = Duration::from_secs(30);
/// The slowest polling cadence after repeated 429s.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// 429s in a row met at the usual cadence before it slows: a short burst (another program on the same key)
/// should not open a hole of many seconds, a lasting refusal should not be hammered.
const RATE_LIMIT_GRACE: u32 = 3;
/// Streaming this long without a drop resets the reconnect backoff.
const STABLE_STREAMING: TimeDelta = TimeDelta::seconds(60);

/// The feed's timings, from `[feed]` in dalal.toml.
#[derive(Debug, Clone, Copy)]
pub struct FeedTimings {
    pub poll_interval: Duration,
    pub stall_timeout: Duration,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    pub probe_min: Duration,
    pub probe_max: Duration,
}

impl From<&FeedSettings> for FeedTimings {
    fn from(s: &FeedSettings) -> Self {
        FeedTimings {
            poll_interval: s.poll_interval(),
            stall_timeout: s.stall_timeout(),
            reconnect_min: Duration::from_millis(s.reconnect_backoff_min_ms),
            reconnect_max: Duration::from_millis(s.reconnect_backoff_max_ms),
            probe_min: Duration::from_secs(s.probe_interval_min_s),
            probe_max: Duration::from_secs(s.probe_interval_max_s),
        }
    }
}

/// What the feed sends its consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedOutput {
    Tick(Tick),
    State { state: FeedState, at: DateTime<Utc> },
}

pub struct FailoverFeed<B: FeedBroker> {
    broker: Arc<B>,
    clock: Clock,
    calendar: MarketCalendar,
    timings: FeedTimings,
    keys: Vec<String>,
    instruments: HashMap<String, InstrumentId>,
    /// The F&O stocks: no fixed price band.
    without_band: Vec<InstrumentId>,
    out: mpsc::Sender<FeedOutput>,
    stats: Arc<Mutex<FeedStats>>,
}

/// Everything that changes while the feed runs.
struct Run<S> {
    stream: Option<S>,
    state: FeedState,
    gate: TickGate,
    sanity: PriceSanity,
    polling: bool,
    poll_at: Option<DateTime<Utc>>,
    poll_interval: Duration,
    connect_at: Option<DateTime<Utc>>,
    reconnect_backoff: Backoff,
    probe_backoff: Backoff,
    last_alive: DateTime<Utc>,
    streaming_since: Option<DateTime<Utc>>,
    refusal_logged: bool,
    rate_limited_in_row: u32,
    token_check_at: Option<DateTime<Utc>>,
    connected_once: bool,
}

impl<B: FeedBroker> FailoverFeed<B> {
    /// `instruments` maps each broker key to stream to the bot's name for it.
    pub fn new(
        broker: Arc<B>,
        clock: Clock,
        calendar: MarketCalendar,
        timings: FeedTimings,
        instruments: HashMap<String, InstrumentId>,
        out: mpsc::Sender<FeedOutput>,
    ) -> Self {
        let mut keys: Vec<String> = instruments.keys().cloned().collect();
        keys.sort();
        FailoverFeed {
            broker,
            clock,
            calendar,
            timings,
            keys,
            instruments,
            without_band: Vec::new(),
            out,
            stats: Arc::new(Mutex::new(FeedStats::default())),
        }
    }

    /// Names the instruments without a fixed price band (F&O stocks): their prices are held only to the
    /// order-of-magnitude rule.
    pub fn without_fixed_band(mut self, instruments: Vec<InstrumentId>) -> Self {
        self.without_band = instruments;
        self
    }

    /// A handle on the counters, readable while the feed runs.
    pub fn stats(&self) -> Arc<Mutex<FeedStats>> {
        Arc::clone(&self.stats)
    }

    /// Runs until `shutdown` turns true or the consumer goes away.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let now = self.clock.now();
        let t = self.timings;
        let mut run = Run::<B::Stream> {
            stream: None,
            state: FeedState::Starting,
            gate: TickGate::default(),
            sanity: PriceSanity::new(self.without_band.clone()),
            polling: false,
            poll_at: None,
            poll_interval: t.poll_interval,
            connect_at: Some(now),
            reconnect_backoff: Backoff::with_jitter(
                t.reconnect_min,
                t.reconnect_max,
                now.timestamp_micros() as u64,
            ),
            probe_backoff: Backoff::exact(t.probe_min, t.probe_max),
            last_alive: now,
            streaming_since: None,
            refusal_logged: false,
            rate_limited_in_row: 0,
            token_check_at: None,
            connected_once: false,
        };
        self.stats_mut().enter_state(&run.state, now);
        loop {
            let wake = self.next_wake(&run);
            let event = tokio::select! {
                _ = shutdown.changed() => None,
                event = next_stream_event(&mut run.stream) => Some(Some(event)),
                _ = self.clock.sleep_until(wake) => Some(None),
            };
            let alive = match event {
                None => false,
                Some(Some(event)) => self.on_stream_event(&mut run, event).await,
                Some(None) => self.on_timers(&mut run).await,
            };
            if !alive || *shutdown.borrow() {
                break;
            }
        }
        if let Some(stream) = run.stream.take() {
            stream.close().await;
        }
        self.stats_mut().close_state(self.clock.now());
    }

    fn stats_mut(&self) -> std::sync::MutexGuard<'_, FeedStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn in_session(&self, now: DateTime<Utc>) -> bool {
        self.calendar.is_continuous(now, EquityClass::CashOnly)
    }

    /// The earliest timer, or a stall-timeout from now so session changes are noticed.
    fn next_wake(&self, run: &Run<B::Stream>) -> DateTime<Utc> {
        let now = self.clock.now();
        let stall = delta(self.timings.stall_timeout);
        let mut wake = now + stall;
        let mut at = |t: Option<DateTime<Utc>>| {
            if let Some(t) = t {
                wake = wake.min(t);
            }
        };
        at(run.poll_at);
        at(run.connect_at);
        at(run.token_check_at);
        if run.stream.is_some() {
            // Outside continuous trading a quiet connection is normal: no stall deadline, or the loop would spin.
            if self.in_session(now) {
                at(Some(run.last_alive + stall));
            }
        }
        wake
    }

    async fn set_state(&self, run: &mut Run<B::Stream>, state: FeedState) -> bool {
        if run.state == state {
            return true;
        }
        let now = self.clock.now();
        tracing::info!(from = %run.state, to = %state, "feed state");
        self.stats_mut().enter_state(&state, now);
        run.state = state.clone();
        self.out
            .send(FeedOutput::State { state, at: now })
            .await
            .is_ok()
    }

    async fn start_polling(&self, run: &mut Run<B::Stream>, reason: FallbackReason) -> bool {
        if !run.polling {
            run.polling = true;
            run.poll_at = Some(self.clock.now());
        }
        self.set_state(run, FeedState::Polling { reason }).await
    }

    async fn on_stream_event(&self, run: &mut Run<B::Stream>, event: StreamEvent) -> bool {
        let now = self.clock.now();
        match event {
            StreamEvent::Prices(updates) => {
                run.last_alive = now;
                let since = *run.streaming_since.get_or_insert(now);
                if now - since > STABLE_STREAMING {
                    run.reconnect_backoff.reset();
                }
                if !self.deliver(run, updates, TickSource::Stream).await {
                    return false;
                }
                // The stream has delivered for a whole poll interval: the overlap is over.
                if run.polling && now - since >= delta(self.timings.poll_interval) {
                    run.polling = false;
                    run.poll_at = None;
                    return self.set_state(run, FeedState::Streaming).await;
                }
                true
            }
            StreamEvent::Alive => {
                run.last_alive = now;
                true
            }
            StreamEvent::BadFrame(why) => {
                run.last_alive = now;
                self.stats_mut().bad_frames += 1;
                tracing::warn!(error = %why, "feed frame skipped");
                true
            }
            StreamEvent::Closed(why) => {
                tracing::warn!(reason = %why, "feed connection lost; reconnecting");
                run.stream = None;
                run.gate.stream_ended();
                run.streaming_since = None;
                run.connect_at = Some(now + delta(run.reconnect_backoff.next_wait()));
                if !run.polling {
                    run.poll_at = Some(now + delta(RECONNECT_GRACE));
                }
                let reason = FallbackReason::Dropped(why);
                if run.polling {
                    self.set_state(run, FeedState::Polling { reason }).await
                } else {
                    self.set_state(run, FeedState::Reconnecting { reason })
                        .await
                }
            }
        }
    }

    async fn on_timers(&self, run: &mut Run<B::Stream>) -> bool {
        let now = self.clock.now();
        if run.token_check_at.is_some_and(|at| at <= now) {
            if self.broker.reload_token().await {
                tracing::info!("a new token was found; reconnecting");
                run.token_check_at = None;
                run.connect_at = Some(now);
            } else {
                run.token_check_at = Some(now + delta(TOKEN_RECHECK));
            }
        }
        if run.token_check_at.is_some() {
            return true;
        }
        let stalled = now - run.last_alive >= delta(self.timings.stall_timeout);
        if run.stream.is_some() && self.in_session(now) && stalled {
            tracing::warn!(silent_for = ?(now - run.last_alive), "feed silent; polling and reconnecting");
            if let Some(stream) = run.stream.take() {
                stream.close().await;
            }
            run.gate.stream_ended();
            run.streaming_since = None;
            run.connect_at = Some(now);
            if !self.start_polling(run, FallbackReason::Silent).await {
                return false;
            }
        }
        if run.poll_at.is_some_and(|at| at <= now) {
            if !run.polling {
                let reason = match &run.state {
                    FeedState::Reconnecting { reason } => reason.clone(),
                    _ => FallbackReason::HandshakeFailed("not streaming yet".into()),
                };
                if !self.start_polling(run, reason).await {
                    return false;
                }
            }
            if !self.poll(run).await {
                return false;
            }
        }
        if run.stream.is_none() && run.connect_at.is_some_and(|at| at <= now) {
            return self.connect(run).await;
        }
        true
    }

    async fn connect(&self, run: &mut Run<B::Stream>) -> bool {
        run.connect_at = None;
        let result = match self.broker.connect().await {
            Ok(mut stream) => match stream.subscribe(&self.keys).await {
                Ok(()) => Ok(stream),
                Err(e) => {
                    stream.close().await;
                    Err(e)
                }
            },
            Err(e) => Err(e),
        };
        let now = self.clock.now();
        match result {
            Ok(stream) => {
                {
                    let mut stats = self.stats_mut();
                    stats.last_connected_at = Some(now);
                    if run.connected_once {
                        stats.reconnects += 1;
                    }
                }
                run.connected_once = true;
                run.stream = Some(stream);
                run.last_alive = now;
                run.streaming_since = None;
                run.probe_backoff.reset();
                run.refusal_logged = false;
                if run.polling {
                    // Polling goes on until the stream has delivered for one poll interval.
                    true
                } else {
                    run.poll_at = None;
                    self.set_state(run, FeedState::Streaming).await
                }
            }
            Err(e) => self.on_connect_error(run, e).await,
        }
    }

    async fn on_connect_error(&self, run: &mut Run<B::Stream>, e: BrokerError) -> bool {
        let now = self.clock.now();
        match e.class {
            ErrorClass::Forbidden => {
                self.on_refused(run, &e, FallbackReason::HandshakeForbidden)
                    .await
            }
            ErrorClass::Auth => {
                if self.broker.reload_token().await {
                    tracing::info!("WebSocket refused with 401; a new token was found, retrying");
                    run.connect_at = Some(now);
                    return true;
                }
                // The socket's word is not the last: polling on the same token tells whether it is good.
                self.on_refused(run, &e, FallbackReason::HandshakeUnauthorized)
                    .await
            }
            _ => {
                let wait = run.reconnect_backoff.next_wait();
                tracing::warn!(error = %e, retry_in = ?wait, "WebSocket connect failed");
                run.connect_at = Some(now + delta(wait));
                let reason = FallbackReason::HandshakeFailed(e.message);
                if run.polling {
                    return self.set_state(run, FeedState::Polling { reason }).await;
                }
                if run.poll_at.is_none() {
                    run.poll_at = Some(now + delta(RECONNECT_GRACE));
                }
                self.set_state(run, FeedState::Reconnecting { reason })
                    .await
            }
        }
    }

    /// A handshake refused with 403 or 401: poll meanwhile and probe the WebSocket on the probe schedule.
    async fn on_refused(
        &self,
        run: &mut Run<B::Stream>,
        e: &BrokerError,
        reason: FallbackReason,
    ) -> bool {
        let wait = run.probe_backoff.next_wait();
        if !run.refusal_logged {
            run.refusal_logged = true;
            let causes = match reason {
                FallbackReason::HandshakeUnauthorized => {
                    "WebSocket refused with 401; polling LTP on the same token meanwhile, which tells whether \
                     the token is good: a 401 there too means log in again. A socket that refuses a token the \
                     REST API accepts has been seen with credentials not in the form the feed wants (HDFC Sky: \
                     ?token=…&api_key=… of the app the token was issued to) and when the feed side has not yet \
                     taken a fresh login. Run `dalal doctor` to see which."
                }
                _ => {
                    "WebSocket refused with 403; polling LTP meanwhile. Likely causes: a one-time URL used \
                     twice (Upstox), another connection still open on this token or API key (HDFC Sky \
                     allows 3), a plan without the feed, or a request without a User-Agent. Run `dalal \
                     doctor` to tell which."
                }
            };
            tracing::warn!(error = %e, next_probe_in = ?wait, "{causes}");
        }
        run.connect_at = Some(self.clock.now() + delta(wait));
        self.start_polling(run, reason).await
    }

    /// A 401 from the REST API (or an auth refusal inside the stream): re-read the token and retry once; else
    /// stop claiming prices.
    async fn on_unauthorized(&self, run: &mut Run<B::Stream>, e: &BrokerError) -> bool {
        let now = self.clock.now();
        if self.broker.reload_token().await {
            tracing::info!("401 from the broker; a new token was found, retrying");
            run.connect_at = Some(now);
            return true;
        }
        tracing::error!(
            error = %e,
            "401 from the broker and no new token: prices are no longer fresh. Log in again (Upstox tokens \
             expire at 03:30 IST; HDFC Sky: `dalal login hdfcsky`); dalal checks for a new token every 30 s."
        );
        if let Some(stream) = run.stream.take() {
            stream.close().await;
        }
        run.gate.stream_ended();
        run.polling = false;
        run.poll_at = None;
        run.connect_at = None;
        run.streaming_since = None;
        run.token_check_at = Some(now + delta(TOKEN_RECHECK));
        self.set_state(run, FeedState::AuthFailed).await
    }

    async fn poll(&self, run: &mut Run<B::Stream>) -> bool {
        let started = self.clock.now();
        for batch in self.keys.chunks(self.broker.poll_batch_size().max(1)) {
            let result = self.broker.poll(batch).await;
            self.stats_mut().polls += 1;
            match result {
                Ok(updates) => {
                    run.poll_interval = self.timings.poll_interval;
                    run.rate_limited_in_row = 0;
                    if !self.deliver(run, updates, TickSource::Poll).await {
                        return false;
                    }
                }
                Err(e) if e.class == ErrorClass::RateLimited => {
                    self.stats_mut().rate_limited += 1;
                    run.rate_limited_in_row += 1;
                    if run.rate_limited_in_row > RATE_LIMIT_GRACE {
                        run.poll_interval = (run.poll_interval * 2).min(MAX_POLL_INTERVAL);
                    }
                    // The stream needs no request budget once open: try it now, not at the next probe.
                    if run.rate_limited_in_row == 1 && run.stream.is_none() {
                        run.connect_at = Some(started);
                    }
                    tracing::warn!(
                        in_a_row = run.rate_limited_in_row,
                        next_poll_in = ?run.poll_interval,
                        "LTP polling rate-limited"
                    );
                    break;
                }
                Err(e) if e.class == ErrorClass::Auth => {
                    return self.on_unauthorized(run, &e).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "LTP poll failed");
                    break;
                }
            }
        }
        if run.polling {
            // A steady cadence from the start of this poll, however long the poll itself took.
            run.poll_at = Some((started + delta(run.poll_interval)).max(self.clock.now()));
        }
        true
    }

    /// Turns broker prices into ticks, lets through only what moves each instrument forward, and sends them.
    async fn deliver(
        &self,
        run: &mut Run<B::Stream>,
        updates: Vec<PriceUpdate>,
        source: TickSource,
    ) -> bool {
        let now = self.clock.now();
        let overlap = delta(self.timings.poll_interval);
        for update in updates {
            let Some(instrument) = self.instruments.get(&update.instrument_key) else {
                continue;
            };
            let mut tick = Tick {
                instrument: instrument.clone(),
                last_price: update.last_price,
                last_trade_time: update.last_trade_time,
                last_quantity: update.last_quantity,
                previous_close: update.previous_close,
                source,
                received_at: now,
            };
            if let Err(bad) = run.sanity.check(&tick) {
                // The first of each kind in a day is worth a warning; a broker repeating it is in the counter.
                if self.stats_mut().bad_price(bad) == 1 {
                    tracing::warn!(instrument = %tick.instrument, price = %tick.last_price, ?source, reason = bad.label(), "a price that cannot be true was dropped (counted in dalal_bad_prices_total)");
                }
                continue;
            }
            if discard_future_trade_time(&mut tick) {
                self.stats_mut().future_trade_times += 1;
                tracing::debug!(instrument = %tick.instrument, traded = ?update.last_trade_time, "trade time in the future discarded");
            }
            if !run.gate.admit(&tick, overlap) {
                continue;
            }
            self.stats_mut()
                .price_delivered(&tick.instrument, source, now);
            if self.out.send(FeedOutput::Tick(tick)).await.is_err() {
                return false;
            }
        }
        true
    }
}

async fn next_stream_event<S: FeedStream>(stream: &mut Option<S>) -> StreamEvent {
    match stream {
        Some(stream) => stream.next_event().await,
        None => std::future::pending().await,
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
