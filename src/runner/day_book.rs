//! The day's book-keeping beside the session loop: what the engine decided and what the broker did, journaled;
//! each instrument's prices summarised per minute; round trips from the first entry fill to flat, with their P&L
//! and charges; and the figures of the close report.
//!
//! It only records: nothing here decides or waits. A round trip's P&L is the one figure the journal and the close
//! report show, computed here alone as sold minus bought.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::config::ChargeRates;
use crate::domain::{Fill, InstrumentId, OrderTag, Side, Tick, TickSource};
use crate::engine::{ApprovedOrder, EngineEvent, EngineNote};
use crate::execution::{OrderTransition, SubmitOutcome};
use crate::journal::{Journal, JournalEntry};

/// A time the feed fell back to polling, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackEpisode {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// What a session did, for the close report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    pub ticks: u64,
    pub orders: u64,
    pub fills: u64,
    pub round_trips: u64,
    /// Gross of charges.
    pub realized_pnl: Decimal,
    /// The charges estimate of the round trips.
    pub charges: Decimal,
    pub fallbacks: Vec<FallbackEpisode>,
    /// The longest a price waited between its receipt and the engine seeing it, in session time.
    pub longest_price_wait: Duration,
}

/// One instrument's prices in the current minute, journaled as one summary.
struct MinuteBar {
    minute: DateTime<Utc>,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    stream: u32,
    poll: u32,
}

/// An open round trip, from the first entry fill to the flat position.
struct RoundTrip {
    side: Side,
    quantity: u32,
    entry_time: DateTime<Utc>,
    slippage: Decimal,
    /// Filled value per order tag and side: P&L is sold minus bought whatever the direction, and brokerage is
    /// charged per executed order.
    bought: HashMap<String, Decimal>,
    sold: HashMap<String, Decimal>,
}

pub struct DayBook {
    journal: Journal,
    charges: ChargeRates,
    bars: HashMap<InstrumentId, MinuteBar>,
    signal_prices: HashMap<OrderTag, Decimal>,
    trips: HashMap<InstrumentId, RoundTrip>,
    exit_reasons: HashMap<InstrumentId, String>,
    summary: SessionSummary,
}

impl DayBook {
    pub fn new(journal: Journal, charges: ChargeRates) -> Self {
        DayBook {
            journal,
            charges,
            bars: HashMap::new(),
            signal_prices: HashMap::new(),
            trips: HashMap::new(),
            exit_reasons: HashMap::new(),
            summary: SessionSummary::default(),
        }
    }

    pub fn summary(&self) -> &SessionSummary {
        &self.summary
    }

    /// A price as the engine is about to see it, `now` being when it does.
    pub fn price(&mut self, tick: &Tick, now: DateTime<Utc>) {
        self.summary.ticks += 1;
        let waited = (now - tick.received_at).to_std().unwrap_or_default();
        self.summary.longest_price_wait = self.summary.longest_price_wait.max(waited);
        self.add_to_bar(tick);
    }

    pub fn fallback(&mut self, episode: FallbackEpisode) {
        self.summary.fallbacks.push(episode);
    }

    /// An order handed to the broker, remembered with the price that caused it.
    pub fn order_sent(&mut self, order: &ApprovedOrder) {
        self.summary.orders += 1;
        self.signal_prices
            .insert(order.request().tag.clone(), order.signal_price());
    }

    /// The broker's answer to a submit.
    pub fn order_placed(&self, order: &ApprovedOrder, outcome: &SubmitOutcome, now: DateTime<Utc>) {
        let request = order.request();
        let (ids, state) = match outcome {
            SubmitOutcome::Accepted(ids) => (ids.clone(), "accepted".to_string()),
            SubmitOutcome::FoundByTag(ids) => {
                (ids.clone(), "found by tag after an ambiguous submit".into())
            }
            SubmitOutcome::Refused(e) => (Vec::new(), format!("refused: {e}")),
            SubmitOutcome::Unresolved => (Vec::new(), "unresolved: watching for its tag".into()),
            SubmitOutcome::Duplicate => (
                Vec::new(),
                "a duplicate of an intent sent before: not sent".into(),
            ),
        };
        self.journal.record(
            now,
            JournalEntry::Order {
                tag: request.tag.to_string(),
                broker_ids: ids,
                instrument: request.instrument.to_string(),
                side: request.side.to_string(),
                quantity: request.quantity,
                order_type: request.kind.code().into(),
                limit_price: request.kind.limit_price(),
                signal_price: order.signal_price(),
                state,
                price_age_ms: order.price_age_ms(),
            },
        );
    }

    /// Each step of an order's lifecycle, at the time it happened.
    pub fn order_transitions(&self, transitions: Vec<OrderTransition>) {
        for t in transitions {
            self.journal.record(
                t.at,
                JournalEntry::OrderState {
                    tag: t.tag.to_string(),
                    from: t.from.map(|s| s.to_string()),
                    to: t.to.to_string(),
                    why: t.why,
                },
            );
        }
    }

    pub fn order_modified(&self, order: &ApprovedOrder, now: DateTime<Utc>) {
        let request = order.request();
        self.journal.record(
            now,
            JournalEntry::OrderModified {
                tag: request.tag.to_string(),
                order_type: request.kind.code().into(),
                limit_price: request.kind.limit_price(),
                trigger_price: request.kind.trigger_price(),
            },
        );
    }

    pub fn note(&mut self, note: EngineNote, now: DateTime<Utc>) {
        let entry = match note {
            EngineNote::Signal { instrument, signal } => JournalEntry::Signal {
                instrument: instrument.to_string(),
                side: signal.side.to_string(),
                price: signal.price,
                stop: signal.stop,
                target: signal.target,
                reason: signal.reason.into(),
            },
            EngineNote::Refused {
                instrument,
                refusal,
            } => JournalEntry::RiskRefusal {
                instrument: instrument.to_string(),
                reason: refusal.to_string(),
            },
            EngineNote::Disqualified { instrument, why } => JournalEntry::RiskRefusal {
                instrument: instrument.to_string(),
                reason: format!("not traded today: {why:?}"),
            },
            EngineNote::Exit {
                instrument, reason, ..
            } => {
                self.exit_reasons.insert(instrument, reason.to_string());
                return;
            }
            EngineNote::StopMoved { instrument, stop } => JournalEntry::StopMoved {
                instrument: instrument.to_string(),
                stop,
            },
            EngineNote::ExitEscalated {
                instrument,
                tag,
                reason,
            } => JournalEntry::Error {
                class: "order".into(),
                message: format!(
                    "{instrument}: the {reason} exit {tag} is still unfilled after every re-pricing; it keeps \
                     following the last price at the widest reach. Check the instrument at the broker (a circuit \
                     limit, a halt, an RMS block)"
                ),
            },
            EngineNote::DailyLossTripped { pnl } => JournalEntry::Error {
                class: "risk".into(),
                message: format!(
                    "daily loss limit reached at ₹{pnl}: entries blocked, positions closed"
                ),
            },
        };
        self.journal.record(now, entry);
    }

    /// Journals an order's end, or a fill and the round trip it completes. `position_before` is the engine's
    /// net quantity in the instrument before it applies the event.
    pub fn order_event(&mut self, event: &EngineEvent, position_before: i64, now: DateTime<Utc>) {
        match event {
            EngineEvent::Fill(fill) => self.fill(fill, position_before, now),
            EngineEvent::OrderEnded {
                tag,
                rejected,
                reason,
            } => self.journal.record(
                now,
                JournalEntry::OrderEnded {
                    tag: tag.to_string(),
                    rejected: *rejected,
                    reason: reason.clone(),
                },
            ),
            EngineEvent::OrderLost { tag, reason } => self.journal.record(
                now,
                JournalEntry::OrderEnded {
                    tag: tag.to_string(),
                    rejected: false,
                    reason: format!("lost: {reason}"),
                },
            ),
            _ => {}
        }
    }

    fn fill(&mut self, fill: &Fill, position_before: i64, now: DateTime<Utc>) {
        self.summary.fills += 1;
        self.journal.record(now, JournalEntry::from(fill));
        if let Some(trip) = self.add_to_trip(fill, position_before) {
            self.close_trip(&fill.instrument, trip, fill.time, now);
        }
    }

    /// After a restart: today's earlier fills of our orders, so a round trip opened before the restart is
    /// journaled whole when it closes after it. Nothing here is journaled again.
    pub fn resume(&mut self, fills: &[Fill]) {
        let mut net: HashMap<InstrumentId, i64> = HashMap::new();
        for fill in fills {
            let before = net.entry(fill.instrument.clone()).or_default();
            let position_before = *before;
            *before += fill.side.sign() * i64::from(fill.quantity);
            // A round trip that closed before the restart was journaled then.
            let _closed = self.add_to_trip(fill, position_before);
        }
    }

    /// Adds a fill to its instrument's open round trip; the trip when this fill closes it.
    fn add_to_trip(&mut self, fill: &Fill, position_before: i64) -> Option<RoundTrip> {
        let signal = fill
            .tag
            .as_ref()
            .and_then(|t| self.signal_prices.get(t))
            .copied()
            .unwrap_or(fill.price);
        let value = fill.price * Decimal::from(fill.quantity);
        let slipped = (fill.price - signal).abs() * Decimal::from(fill.quantity);
        let trip = self
            .trips
            .entry(fill.instrument.clone())
            .or_insert_with(|| RoundTrip {
                side: fill.side,
                quantity: 0,
                entry_time: fill.time,
                slippage: Decimal::ZERO,
                bought: HashMap::new(),
                sold: HashMap::new(),
            });
        trip.slippage += slipped;
        let by_order = match fill.side {
            Side::Buy => &mut trip.bought,
            Side::Sell => &mut trip.sold,
        };
        *by_order
            .entry(fill.tag.as_ref().map(|t| t.to_string()).unwrap_or_default())
            .or_default() += value;
        if fill.side == trip.side {
            trip.quantity += fill.quantity;
            return None;
        }
        if position_before.unsigned_abs() as u32 == fill.quantity {
            return self.trips.remove(&fill.instrument);
        }
        None
    }

    fn close_trip(
        &mut self,
        instrument: &InstrumentId,
        trip: RoundTrip,
        exit_time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let quantity = Decimal::from(trip.quantity.max(1));
        let bought: Vec<Decimal> = trip.bought.values().copied().collect();
        let sold: Vec<Decimal> = trip.sold.values().copied().collect();
        let (bought_value, sold_value): (Decimal, Decimal) =
            (bought.iter().sum(), sold.iter().sum());
        let pnl = sold_value - bought_value;
        let (entry_value, exit_value) = match trip.side {
            Side::Buy => (bought_value, sold_value),
            Side::Sell => (sold_value, bought_value),
        };
        let charges = self.charges.round_trip(&bought, &sold);
        self.summary.round_trips += 1;
        self.summary.realized_pnl += pnl;
        self.summary.charges += charges;
        self.journal.record(
            now,
            JournalEntry::Trade {
                instrument: instrument.to_string(),
                side: trip.side.to_string(),
                quantity: trip.quantity,
                entry_time: trip.entry_time,
                entry_price: (entry_value / quantity).round_dp(2),
                exit_time,
                exit_price: (exit_value / quantity).round_dp(2),
                pnl,
                charges,
                slippage: trip.slippage,
                exit_reason: self
                    .exit_reasons
                    .remove(instrument)
                    // No exit of ours: the resting stop fired at the broker.
                    .unwrap_or_else(|| "stop at the broker".into()),
            },
        );
    }

    fn add_to_bar(&mut self, tick: &Tick) {
        let minute = tick
            .received_at
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(tick.received_at);
        let price = tick.last_price;
        if self
            .bars
            .get(&tick.instrument)
            .is_some_and(|b| b.minute != minute)
        {
            let bar = self.bars.remove(&tick.instrument).expect("present");
            self.journal_bar(&tick.instrument, bar);
        }
        let bar = self
            .bars
            .entry(tick.instrument.clone())
            .or_insert(MinuteBar {
                minute,
                open: price,
                high: price,
                low: price,
                close: price,
                stream: 0,
                poll: 0,
            });
        bar.high = bar.high.max(price);
        bar.low = bar.low.min(price);
        bar.close = price;
        match tick.source {
            TickSource::Stream => bar.stream += 1,
            TickSource::Poll => bar.poll += 1,
        }
    }

    fn journal_bar(&self, instrument: &InstrumentId, bar: MinuteBar) {
        self.journal.record(
            bar.minute + TimeDelta::minutes(1),
            JournalEntry::TickSummary {
                instrument: instrument.to_string(),
                minute: bar.minute,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
                stream_ticks: bar.stream,
                poll_ticks: bar.poll,
            },
        );
    }

    /// Journals the minutes still open, at the end of the session.
    pub fn flush_bars(&mut self) {
        for (instrument, bar) in std::mem::take(&mut self.bars) {
            self.journal_bar(&instrument, bar);
        }
    }
}
