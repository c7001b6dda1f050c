//! What the journal records: one `JournalEntry` per thing the bot saw or did, in the bot's own terms.
//!
//! Entries are stored as an append-only event log (kind + JSON body), so adding a field never needs a table
//! migration; the columns that reports filter on (time, kind, instrument, paper) are real columns.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Fill;

/// One journal record. Prices and money are decimals serialized as strings, so nothing is rounded through f64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A change of the feed's state, with its reason.
    FeedState {
        state: String,
        reason: Option<String>,
    },
    /// The broker's order stream came up (`streaming`) or went down (`polling`, the order book every second),
    /// with why.
    OrderStream {
        state: String,
        reason: Option<String>,
    },
    /// The broker's kill switch, asked for after the daily loss limit: whether trading is now off there, and
    /// what the broker said.
    KillSwitch {
        switched_off: bool,
        detail: String,
    },
    /// One instrument's prices over one minute.
    TickSummary {
        instrument: String,
        minute: DateTime<Utc>,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        stream_ticks: u32,
        poll_ticks: u32,
    },
    Signal {
        instrument: String,
        side: String,
        price: Decimal,
        stop: Decimal,
        target: Decimal,
        reason: String,
    },
    RiskRefusal {
        instrument: String,
        reason: String,
    },
    Order {
        tag: String,
        broker_ids: Vec<String>,
        instrument: String,
        side: String,
        quantity: u32,
        order_type: String,
        limit_price: Option<Decimal>,
        signal_price: Decimal,
        state: String,
        /// For an entry: the age of the price it was approved on, in ms (absent in journals before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price_age_ms: Option<i64>,
    },
    /// An order of ours moved from one state of its lifecycle to another (`from` absent for its first state).
    OrderState {
        tag: String,
        #[serde(default)]
        from: Option<String>,
        to: String,
        why: String,
    },
    /// A working order of ours changed in place: a resting stop following the trail, or turned into the exit.
    OrderModified {
        tag: String,
        order_type: String,
        limit_price: Option<Decimal>,
        trigger_price: Option<Decimal>,
    },
    /// An order of ours ended without (further) fills.
    OrderEnded {
        tag: String,
        rejected: bool,
        reason: String,
    },
    Fill {
        tag: String,
        instrument: String,
        side: String,
        quantity: u32,
        price: Decimal,
    },
    /// A completed round trip.
    Trade {
        instrument: String,
        side: String,
        quantity: u32,
        entry_time: DateTime<Utc>,
        entry_price: Decimal,
        exit_time: DateTime<Utc>,
        exit_price: Decimal,
        pnl: Decimal,
        charges: Decimal,
        /// Entry and exit slippage against the signal prices, in rupees (positive = worse for us).
        slippage: Decimal,
        exit_reason: String,
    },
    Reconciliation {
        action: String,
        detail: String,
    },
    /// An open trade's stop moved (the trail): a restart takes the trade back with this stop, not the signal's.
    StopMoved {
        instrument: String,
        stop: Decimal,
    },
    Error {
        class: String,
        message: String,
    },
    /// An operator's control (`POST /control/...` or `dalal ctl`): what was asked, whether it was carried out,
    /// and what was done or why it was refused. Refusals (no key, a wrong key, no key configured) are kept too.
    Control {
        action: String,
        accepted: bool,
        detail: String,
    },
    /// An alert that could not be delivered after its retries (or was dropped by the rate limit).
    AlertFailed {
        channel: String,
        event: String,
        error: String,
    },
    /// A pre-open check, passed or failed, with what to do about a failure.
    Check {
        name: String,
        passed: bool,
        detail: String,
        remedy: Option<String>,
    },
    /// Two calendar sources disagree about a date (the shipped file, the broker's list, the trader's entries),
    /// and which one is followed. Journaled once per disagreement.
    Calendar {
        detail: String,
    },
    /// The close report of one trading day.
    DaySummary {
        date: chrono::NaiveDate,
        trading_enabled: bool,
        ticks: u64,
        orders: u64,
        fills: u64,
        round_trips: u64,
        /// Gross of charges.
        realized_pnl: Decimal,
        /// Journals written before charges were estimated read as zero.
        #[serde(default)]
        charges: Decimal,
        seconds_streaming: u64,
        seconds_polling: u64,
        /// Each fallback to polling: IST time and reason.
        fallbacks: Vec<String>,
        /// What kept trading disabled, if anything did.
        failures: Vec<String>,
        /// The intraday positions the broker held in the universe at the close, as `NSE:SYMBOL quantity`:
        /// empty when flat; absent in paper mode, or when the broker could not be read.
        #[serde(default)]
        broker_open: Option<Vec<String>>,
    },
}

impl JournalEntry {
    /// What was seen rather than done: the journal may drop it when it cannot keep up (see `writer`).
    pub fn is_observation(&self) -> bool {
        matches!(
            self,
            JournalEntry::FeedState { .. }
                | JournalEntry::TickSummary { .. }
                | JournalEntry::Signal { .. }
                | JournalEntry::RiskRefusal { .. }
                | JournalEntry::Error { .. }
                | JournalEntry::Control {
                    accepted: false,
                    ..
                }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            JournalEntry::FeedState { .. } => "feed_state",
            JournalEntry::OrderStream { .. } => "order_stream",
            JournalEntry::KillSwitch { .. } => "kill_switch",
            JournalEntry::TickSummary { .. } => "tick_summary",
            JournalEntry::Signal { .. } => "signal",
            JournalEntry::RiskRefusal { .. } => "risk_refusal",
            JournalEntry::Order { .. } => "order",
            JournalEntry::OrderState { .. } => "order_state",
            JournalEntry::OrderModified { .. } => "order_modified",
            JournalEntry::OrderEnded { .. } => "order_ended",
            JournalEntry::Fill { .. } => "fill",
            JournalEntry::Trade { .. } => "trade",
            JournalEntry::Reconciliation { .. } => "reconciliation",
            JournalEntry::StopMoved { .. } => "stop_moved",
            JournalEntry::Error { .. } => "error",
            JournalEntry::Control { .. } => "control",
            JournalEntry::AlertFailed { .. } => "alert_failed",
            JournalEntry::Check { .. } => "check",
            JournalEntry::Calendar { .. } => "calendar",
            JournalEntry::DaySummary { .. } => "day_summary",
        }
    }

    pub fn instrument(&self) -> Option<&str> {
        match self {
            JournalEntry::TickSummary { instrument, .. }
            | JournalEntry::Signal { instrument, .. }
            | JournalEntry::RiskRefusal { instrument, .. }
            | JournalEntry::Order { instrument, .. }
            | JournalEntry::Fill { instrument, .. }
            | JournalEntry::StopMoved { instrument, .. }
            | JournalEntry::Trade { instrument, .. } => Some(instrument),
            _ => None,
        }
    }
}

impl From<&Fill> for JournalEntry {
    fn from(fill: &Fill) -> Self {
        JournalEntry::Fill {
            tag: fill.tag.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            instrument: fill.instrument.to_string(),
            side: fill.side.to_string(),
            quantity: fill.quantity,
            price: fill.price,
        }
    }
}

/// An entry as stored: its place in the log and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub paper: bool,
    pub entry: JournalEntry,
}
