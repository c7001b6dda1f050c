//! The feed's state as the journal, the status endpoint and the engine see it, and its counters.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::price_sanity::BadPrice;
use crate::domain::{InstrumentId, TickSource};

/// Why the feed is polling, or reconnecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackReason {
    /// The WebSocket handshake was answered 403.
    HandshakeForbidden,
    /// The WebSocket handshake was answered 401 while the REST API may still accept the token: polling on it
    /// tells; only a refusal there too is `AuthFailed`.
    HandshakeUnauthorized,
    /// The handshake failed otherwise (network, 5xx, an unfollowed redirect).
    HandshakeFailed(String),
    /// An open connection closed or broke.
    Dropped(String),
    /// No frame at all for the stall timeout during continuous trading.
    Silent,
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FallbackReason::HandshakeForbidden => {
                f.write_str("WebSocket handshake refused with 403")
            }
            FallbackReason::HandshakeUnauthorized => {
                f.write_str("WebSocket handshake refused with 401")
            }
            FallbackReason::HandshakeFailed(why) => write!(f, "WebSocket handshake failed: {why}"),
            FallbackReason::Dropped(why) => write!(f, "WebSocket dropped: {why}"),
            FallbackReason::Silent => f.write_str("WebSocket silent past the stall timeout"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    Starting,
    Streaming,
    Polling {
        reason: FallbackReason,
    },
    Reconnecting {
        reason: FallbackReason,
    },
    /// The REST API refuses the token too and no new one was found: no prices are fresh; the engine must not
    /// trade.
    AuthFailed,
}

impl FeedState {
    pub fn name(&self) -> &'static str {
        match self {
            FeedState::Starting => "starting",
            FeedState::Streaming => "streaming",
            FeedState::Polling { .. } => "polling",
            FeedState::Reconnecting { .. } => "reconnecting",
            FeedState::AuthFailed => "auth_failed",
        }
    }
}

impl fmt::Display for FeedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedState::Polling { reason } => write!(f, "polling ({reason})"),
            FeedState::Reconnecting { reason } => write!(f, "reconnecting ({reason})"),
            other => f.write_str(other.name()),
        }
    }
}

/// What the feed has done so far.
#[derive(Debug, Clone, Default)]
pub struct FeedStats {
    /// Seconds spent in each state, by state name.
    pub time_in_state: HashMap<&'static str, Duration>,
    pub reconnects: u64,
    pub polls: u64,
    pub rate_limited: u64,
    pub bad_frames: u64,
    /// Streamed trade times too far in the future to be true, removed before the price went on.
    pub future_trade_times: u64,
    /// Prices that cannot be true, dropped before the engine, by reason.
    pub bad_prices: BTreeMap<&'static str, u64>,
    /// When the stream last connected (and subscribed) successfully.
    pub last_connected_at: Option<DateTime<Utc>>,
    pub stream_ticks: u64,
    pub poll_ticks: u64,
    /// The longest time between two fresh prices, per instrument.
    pub longest_gap: HashMap<InstrumentId, Duration>,
    last_price_at: HashMap<InstrumentId, DateTime<Utc>>,
    state_since: Option<(&'static str, DateTime<Utc>)>,
}

impl FeedStats {
    /// Counts a dropped price; returns how many of its kind there have been.
    pub fn bad_price(&mut self, reason: BadPrice) -> u64 {
        let count = self.bad_prices.entry(reason.label()).or_default();
        *count += 1;
        *count
    }

    pub fn enter_state(&mut self, state: &FeedState, now: DateTime<Utc>) {
        self.close_state(now);
        self.state_since = Some((state.name(), now));
    }

    /// Adds the time of the current state up to `now`.
    pub fn close_state(&mut self, now: DateTime<Utc>) {
        if let Some((name, since)) = self.state_since {
            let spent = (now - since).to_std().unwrap_or_default();
            *self.time_in_state.entry(name).or_default() += spent;
            self.state_since = Some((name, now));
        }
    }

    pub fn price_delivered(
        &mut self,
        instrument: &InstrumentId,
        source: TickSource,
        now: DateTime<Utc>,
    ) {
        match source {
            TickSource::Stream => self.stream_ticks += 1,
            TickSource::Poll => self.poll_ticks += 1,
        }
        if let Some(previous) = self.last_price_at.insert(instrument.clone(), now) {
            let gap = (now - previous).to_std().unwrap_or_default();
            let longest = self.longest_gap.entry(instrument.clone()).or_default();
            *longest = (*longest).max(gap);
        }
    }
}
