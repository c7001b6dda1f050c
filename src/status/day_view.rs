//! The day as the live page draws it: the feed's spans (streaming, polling, reconnecting, with their reasons),
//! each instrument's last price with its source, the working orders, the day's P&L minute by minute and the last
//! things the journal recorded. Kept on the `StatusBoard` beside the health figures, bounded so a long day or a
//! chatty feed cannot grow it, and reset when a new day's feed starts.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::{InstrumentId, Tick};
use crate::journal::JournalEntry;

/// Feed spans kept for the timeline; a day that flaps more shows its latest.
const MAX_SPANS: usize = 500;
/// Journal events kept for the page.
const MAX_EVENTS: usize = 50;

/// One stretch of the feed in one state, from `from` until the next span's `from` (or now).
#[derive(Debug, Clone, Serialize)]
pub struct FeedSpan {
    pub from: DateTime<Utc>,
    pub state: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastPrice {
    pub price: Decimal,
    /// `stream` or `poll`.
    pub source: &'static str,
    pub at: DateTime<Utc>,
}

/// An order of ours still working, as the engine follows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderLine {
    pub tag: String,
    pub instrument: String,
    /// `entry`, or the exit's reason (`stop` for a resting stop).
    pub purpose: String,
    pub remaining: u32,
}

/// Something the journal recorded, in a line.
#[derive(Debug, Clone, Serialize)]
pub struct EventLine {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DayView {
    pub feed_timeline: VecDeque<FeedSpan>,
    #[serde(serialize_with = "by_name")]
    pub last_prices: HashMap<InstrumentId, LastPrice>,
    pub working_orders: Vec<OrderLine>,
    /// The day's P&L (realized and open, gross of charges) at the end of each minute so far.
    pub pnl_curve: Vec<(DateTime<Utc>, Decimal)>,
    /// Newest last.
    pub events: VecDeque<EventLine>,
}

impl DayView {
    pub fn feed_state(&mut self, at: DateTime<Utc>, state: &str, reason: Option<String>) {
        if self.feed_timeline.len() == MAX_SPANS {
            self.feed_timeline.pop_front();
        }
        self.feed_timeline.push_back(FeedSpan {
            from: at,
            state: state.to_string(),
            reason,
        });
    }

    pub fn price(&mut self, tick: &Tick) {
        let last = LastPrice {
            price: tick.last_price,
            source: tick.source.as_str(),
            at: tick.received_at,
        };
        // Called on every tick: the instrument is cloned only the first time it is seen.
        match self.last_prices.get_mut(&tick.instrument) {
            Some(slot) => *slot = last,
            None => {
                self.last_prices.insert(tick.instrument.clone(), last);
            }
        }
    }

    /// The P&L at `at`: the current minute's point moves, a new minute adds one.
    pub fn pnl(&mut self, at: DateTime<Utc>, pnl: Decimal) {
        let minute = at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at);
        match self.pnl_curve.last_mut() {
            Some((last, value)) if *last == minute => *value = pnl,
            _ => self.pnl_curve.push((minute, pnl)),
        }
    }

    pub fn journaled(&mut self, line: EventLine) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(line);
    }
}

impl EventLine {
    /// The line for `entry`; none for a minute's prices (the prices table shows them better).
    pub fn of(at: DateTime<Utc>, entry: &JournalEntry) -> Option<EventLine> {
        (!matches!(entry, JournalEntry::TickSummary { .. })).then(|| EventLine {
            at,
            kind: entry.kind(),
            text: describe(entry),
        })
    }
}

/// Instruments by `NSE:SYMBOL`, in order.
fn by_name<S: serde::Serializer>(
    prices: &HashMap<InstrumentId, LastPrice>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let named: BTreeMap<String, &LastPrice> =
        prices.iter().map(|(id, p)| (id.to_string(), p)).collect();
    serde::Serialize::serialize(&named, serializer)
}

/// An entry's fields as `name value` pairs, in the journal's own words.
fn describe(entry: &JournalEntry) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(entry) else {
        return String::new();
    };
    fields
        .iter()
        .filter(|(name, value)| *name != "kind" && !value.is_null())
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => format!("{name} {text}"),
            other => format!("{name} {other}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
