//! The runner's status, shared between the parts that change it (the day runner, the trading session) and the
//! parts that show it (the status endpoint, the terminal status line). Writers update it in O(1) under a short
//! lock; readers take a `StatusSnapshot`, so nothing that serves HTTP ever touches the engine.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::day_view::{DayView, EventLine, OrderLine};
use crate::domain::{InstrumentId, Tick};
use crate::feed::FeedStats;
use crate::journal::JournalEntry;

/// Upper bounds of the order round-trip histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 8] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters that only grow for the life of the process; each day's feed adds its own when it stops.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedTotals {
    pub stream_ticks: u64,
    pub poll_ticks: u64,
    pub reconnects: u64,
    pub polls: u64,
    pub rate_limited: u64,
    pub bad_frames: u64,
    pub future_trade_times: u64,
    /// Prices dropped as impossible, by reason.
    pub bad_prices: BTreeMap<String, u64>,
    pub seconds_in_state: BTreeMap<String, f64>,
}

impl FeedTotals {
    fn add(&mut self, stats: &FeedStats) {
        self.stream_ticks += stats.stream_ticks;
        self.poll_ticks += stats.poll_ticks;
        self.reconnects += stats.reconnects;
        self.polls += stats.polls;
        self.rate_limited += stats.rate_limited;
        self.bad_frames += stats.bad_frames;
        self.future_trade_times += stats.future_trade_times;
        for (reason, count) in &stats.bad_prices {
            *self.bad_prices.entry((*reason).to_string()).or_default() += count;
        }
        for (state, time) in &stats.time_in_state {
            *self
                .seconds_in_state
                .entry((*state).to_string())
                .or_default() += time.as_secs_f64();
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionLine {
    pub instrument: String,
    pub quantity: i64,
    pub average_price: Decimal,
    pub last_price: Option<Decimal>,
    /// The stop that guards it now (after any trail) and the target, when the engine follows the trade.
    pub stop: Option<Decimal>,
    pub target: Option<Decimal>,
    /// At the last price, gross of charges.
    pub unrealized_pnl: Option<Decimal>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LatencyHistogram {
    /// Counts per bucket of `LATENCY_BUCKETS`, not cumulative; the last slot is above every bucket.
    pub counts: [u64; LATENCY_BUCKETS.len() + 1],
    pub sum_seconds: f64,
}

impl LatencyHistogram {
    fn observe(&mut self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[slot] += 1;
        self.sum_seconds += seconds;
    }
}

/// Everything the endpoint and the status line show, taken at one instant.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSnapshot {
    pub now: DateTime<Utc>,
    /// `starting`, `sleeping`, `pre_open`, `session`, `closing` or `stopping`, with what it is about.
    pub phase: String,
    pub phase_detail: String,
    pub trading_enabled: bool,
    /// New entries paused by the operator (`dalal ctl pause`).
    pub entries_paused: bool,
    /// When the broker token in use says it expires (checked before each open), if it says.
    pub token_expires: Option<DateTime<Utc>>,
    pub feed_state: String,
    pub feed_reason: Option<String>,
    /// `streaming` or `polling` where the broker pushes order updates; absent where fills are only polled.
    pub order_stream: Option<String>,
    pub order_stream_reason: Option<String>,
    /// Milliseconds since each instrument's last price, on the runner's clock.
    pub price_age_ms: BTreeMap<String, i64>,
    pub positions: Vec<PositionLine>,
    pub day_pnl: Decimal,
    pub orders_today: u64,
    pub ticks_per_second: f64,
    pub feed: FeedTotals,
    pub order_latency: LatencyHistogram,
    pub errors: BTreeMap<String, u64>,
    /// Whether `/health` answers 200, and why it does or does not.
    pub healthy: bool,
    pub health_reason: String,
    /// The day as the live page draws it.
    pub day: DayView,
}

#[derive(Debug, Default)]
struct BoardState {
    phase: String,
    phase_detail: String,
    trading_enabled: bool,
    entries_paused: bool,
    token_expires: Option<DateTime<Utc>>,
    /// From when prices must flow: the open (or a mid-session start) plus `stale_after`. The feed runs from
    /// the pre-open, but prices only move in continuous trading.
    prices_expected_from: Option<DateTime<Utc>>,
    feed_state: String,
    feed_reason: Option<String>,
    order_stream: Option<String>,
    order_stream_reason: Option<String>,
    /// Why the journal cannot write, while it cannot.
    journal_trouble: Option<String>,
    last_price_at: HashMap<InstrumentId, DateTime<Utc>>,
    positions: Vec<PositionLine>,
    day_pnl: Decimal,
    orders_today: u64,
    past_feeds: FeedTotals,
    current_feed: Option<Arc<Mutex<FeedStats>>>,
    order_latency: LatencyHistogram,
    errors: BTreeMap<String, u64>,
    /// Ticks counted in the current rate window, and when it started.
    rate_window: (u64, Option<DateTime<Utc>>),
    ticks_per_second: f64,
    day: DayView,
}

/// Shared by handle: clone the `Arc`.
#[derive(Debug)]
pub struct StatusBoard {
    state: Mutex<BoardState>,
    /// Prices older than this, during a session, make the runner unhealthy.
    stale_after: Duration,
}

impl StatusBoard {
    pub fn new(stale_after: Duration) -> Arc<StatusBoard> {
        Arc::new(StatusBoard {
            state: Mutex::new(BoardState {
                phase: "starting".into(),
                feed_state: "stopped".into(),
                ..BoardState::default()
            }),
            stale_after,
        })
    }

    fn state(&self) -> MutexGuard<'_, BoardState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The runner's phase now (`session`, `sleeping`, …).
    pub fn phase(&self) -> String {
        self.state().phase.clone()
    }

    pub fn set_phase(&self, phase: &str, detail: impl Into<String>) {
        let mut state = self.state();
        state.phase = phase.to_string();
        state.phase_detail = detail.into();
    }

    pub fn set_trading_enabled(&self, enabled: bool) {
        self.state().trading_enabled = enabled;
    }

    pub fn set_entries_paused(&self, paused: bool) {
        self.state().entries_paused = paused;
    }

    pub fn set_token_expiry(&self, expires: Option<DateTime<Utc>>) {
        self.state().token_expires = expires;
    }

    pub fn set_journal_trouble(&self, trouble: Option<String>) {
        self.state().journal_trouble = trouble;
    }

    pub fn set_feed_state(&self, at: DateTime<Utc>, state: &str, reason: Option<String>) {
        let mut board = self.state();
        board.day.feed_state(at, state, reason.clone());
        board.feed_state = state.to_string();
        board.feed_reason = reason;
    }

    /// The order stream came up (`streaming`) or went down (`polling`, with why).
    pub fn set_order_stream(&self, state: &str, reason: Option<String>) {
        let mut board = self.state();
        board.order_stream = Some(state.to_string());
        board.order_stream_reason = reason;
    }

    /// A new day's feed, whose prices are due from `prices_due` (the open, or the start of a feed joining an
    /// open session); `stale_after` later, missing prices make the runner unhealthy. Its counters are read live
    /// until `detach_feed` folds them into the totals.
    pub fn attach_feed(&self, stats: Arc<Mutex<FeedStats>>, prices_due: DateTime<Utc>) {
        let mut state = self.state();
        state.current_feed = Some(stats);
        state.prices_expected_from = chrono::TimeDelta::from_std(self.stale_after)
            .ok()
            .map(|grace| prices_due + grace);
        state.last_price_at.clear();
        state.orders_today = 0;
        state.day = DayView {
            events: std::mem::take(&mut state.day.events),
            ..DayView::default()
        };
    }

    pub fn detach_feed(&self) {
        let mut state = self.state();
        if let Some(stats) = state.current_feed.take() {
            let stats = stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
            state.past_feeds.add(&stats);
        }
        state.feed_state = "stopped".into();
        state.feed_reason = None;
    }

    pub fn price(&self, tick: &Tick) {
        let mut state = self.state();
        let at = tick.received_at;
        state.day.price(tick);
        // Called on every tick: the instrument is cloned only the first time it is seen.
        match state.last_price_at.get_mut(&tick.instrument) {
            Some(last) => *last = at,
            None => {
                state.last_price_at.insert(tick.instrument.clone(), at);
            }
        }
        let (count, since) = &mut state.rate_window;
        *count += 1;
        let since = *since.get_or_insert(at);
        let elapsed = (at - since).num_milliseconds();
        if elapsed >= 10_000 {
            state.ticks_per_second = state.rate_window.0 as f64 * 1000.0 / elapsed as f64;
            state.rate_window = (0, Some(at));
        }
    }

    /// The engine's book at `at`: open positions, working orders and the day's P&L.
    pub fn set_book(
        &self,
        at: DateTime<Utc>,
        positions: Vec<PositionLine>,
        orders: Vec<OrderLine>,
        day_pnl: Decimal,
    ) {
        let mut state = self.state();
        state.positions = positions;
        state.day_pnl = day_pnl;
        state.day.working_orders = orders;
        state.day.pnl(at, day_pnl);
    }

    /// Something the journal recorded, for the live page's list of events (described before the lock).
    pub fn journaled(&self, at: DateTime<Utc>, entry: &JournalEntry) {
        if let Some(line) = EventLine::of(at, entry) {
            self.state().day.journaled(line);
        }
    }

    pub fn order_sent(&self, round_trip: Duration) {
        let mut state = self.state();
        state.orders_today += 1;
        state.order_latency.observe(round_trip);
    }

    pub fn error(&self, class: &str) {
        *self.state().errors.entry(class.to_string()).or_default() += 1;
    }

    pub fn snapshot(&self, now: DateTime<Utc>) -> StatusSnapshot {
        let state = self.state();
        let mut feed = state.past_feeds.clone();
        if let Some(current) = &state.current_feed {
            feed.add(&current.lock().unwrap_or_else(|p| p.into_inner()));
        }
        let price_age_ms: BTreeMap<String, i64> = state
            .last_price_at
            .iter()
            .map(|(id, at)| (id.to_string(), (now - *at).num_milliseconds().max(0)))
            .collect();
        let (healthy, health_reason) = self.health(&state, now, &price_age_ms);
        StatusSnapshot {
            now,
            phase: state.phase.clone(),
            phase_detail: state.phase_detail.clone(),
            trading_enabled: state.trading_enabled,
            entries_paused: state.entries_paused,
            token_expires: state.token_expires,
            feed_state: state.feed_state.clone(),
            feed_reason: state.feed_reason.clone(),
            order_stream: state.order_stream.clone(),
            order_stream_reason: state.order_stream_reason.clone(),
            price_age_ms,
            positions: state.positions.clone(),
            day_pnl: state.day_pnl,
            orders_today: state.orders_today,
            ticks_per_second: state.ticks_per_second,
            feed,
            order_latency: state.order_latency.clone(),
            errors: state.errors.clone(),
            healthy,
            health_reason,
            day: state.day.clone(),
        }
    }

    /// Unhealthy while the journal cannot write; else healthy outside the session (nothing to see), and in it
    /// while the newest price is fresh.
    fn health(
        &self,
        state: &BoardState,
        now: DateTime<Utc>,
        ages: &BTreeMap<String, i64>,
    ) -> (bool, String) {
        if let Some(trouble) = &state.journal_trouble {
            return (
                false,
                format!("the journal cannot write ({trouble}): no new entries until it can"),
            );
        }
        let expecting = state.prices_expected_from.is_some_and(|from| now >= from);
        if state.phase != "session" || !expecting {
            return (true, format!("{}: {}", state.phase, state.phase_detail));
        }
        let limit = self.stale_after.as_millis() as i64;
        match ages.values().min() {
            Some(age) if *age <= limit => (
                true,
                format!("prices fresh ({}), newest {age} ms old", state.feed_state),
            ),
            newest => (
                false,
                format!(
                    "prices stale: {} (limit {limit} ms); feed {}{}",
                    newest.map_or("none received yet".to_string(), |a| format!(
                        "newest {a} ms old"
                    )),
                    state.feed_state,
                    state
                        .feed_reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ),
        }
    }
}
