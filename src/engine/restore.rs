//! Restart: the engine takes back the day so far from what reconciliation found in the journal and at the
//! broker, so positions stay guarded, limits hold across restarts and tags never repeat.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::setup::{EntrySignal, SetupState};
use super::{Command, Engine, EngineNote, ExitReason, OpenTrade, Pending};
use crate::calendar::to_ist;
use crate::domain::{Candle, Fill, InstrumentId, OrderTag, Side};

/// What a restarted engine gets back from the journal and the broker (see `runner::reconcile`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restoration {
    /// The highest tag sequence used today: new tags continue after it.
    pub sequence: u32,
    pub trades_today: HashMap<InstrumentId, u32>,
    /// Today's fills of our orders, oldest first: they rebuild positions and realized P&L.
    pub fills: Vec<Fill>,
    /// Stop and target of each open position, from the signal that opened it.
    pub guards: HashMap<InstrumentId, (Decimal, Decimal)>,
    /// The stop an open position's trail had reached, when it moved after the signal.
    pub trailed: HashMap<InstrumentId, Decimal>,
    /// Resting stop orders kept at the broker, with the quantity they still cover.
    pub protective: HashMap<InstrumentId, (OrderTag, u32)>,
    /// Entries and exits of the previous run whose cancel the broker refused: followed as this run's own.
    pub left_working: HashMap<OrderTag, LeftWorking>,
}

/// An order of the previous run still working at the broker, its cancel refused at the restart.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftWorking {
    pub instrument: InstrumentId,
    pub side: Side,
    /// The order's price, or its trigger's (an entry's signal price, for the record).
    pub price: Decimal,
    /// The whole quantity, as sent, and what is still to fill.
    pub quantity: u32,
    pub remaining: u32,
    /// An entry (its fills open the trade its journaled signal guards), else an exit of the open position.
    pub entry: bool,
}

impl Engine {
    /// Takes back the day so far after a restart: positions, their stops, trade counts and the tag sequence.
    /// The stop comes back where the journaled trail left it (the signal's when it never moved). With
    /// `exit.protective_stop`, a kept resting stop is followed again, and an open trade without one gets one:
    /// the returned commands place them.
    pub fn restore(&mut self, restoration: &Restoration, at: DateTime<Utc>) -> Vec<Command> {
        self.sequence = self.sequence.max(restoration.sequence);
        for (id, count) in &restoration.trades_today {
            if let Some(book) = self.books.get_mut(id) {
                book.trades_today = *count;
            }
        }
        for fill in &restoration.fills {
            if let Some(book) = self.books.get_mut(&fill.instrument) {
                book.position.apply(fill);
                if !self.traded_today.contains(&fill.instrument) {
                    self.traded_today.push(fill.instrument.clone());
                }
            }
        }
        for (id, (stop, target)) in &restoration.guards {
            let Some(book) = self.books.get_mut(id) else {
                continue;
            };
            let net = book.position.net_quantity;
            if net != 0 {
                let side = if net > 0 { Side::Buy } else { Side::Sell };
                let mut trade = OpenTrade::new(
                    side,
                    net.unsigned_abs() as u32,
                    book.position.average_price,
                    *stop,
                    *target,
                );
                // The trail goes on from where it was: a restart never loosens a stop.
                if let Some(&trailed) = restoration.trailed.get(id) {
                    trade.stop = trailed;
                    trade.trailing = true;
                }
                book.trade = Some(trade);
            }
        }
        for (id, (tag, remaining)) in &restoration.protective {
            if let Some(book) = self.books.get_mut(id) {
                book.protective = Some(tag.clone());
                self.pending.insert(
                    tag.clone(),
                    Pending::new(id, None, Some(ExitReason::Stop), *remaining, at),
                );
            }
        }
        // Exits first: an entry left working beside one stays detached, its fills guarded all the same.
        let (entries, exits): (Vec<_>, Vec<_>) =
            restoration.left_working.iter().partition(|(_, l)| l.entry);
        for (tag, left) in exits.into_iter().chain(entries) {
            self.follow_left_working(tag, left, restoration, at);
        }
        // An exit left working closes the trade itself: a stop beside it could fill too and flip the position.
        let unprotected: Vec<InstrumentId> = self
            .books
            .iter()
            .filter(|(id, b)| b.trade.is_some() && b.protective.is_none() && !self.exit_working(id))
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Vec::new();
        for id in unprotected {
            self.protect(&id, at, &mut out);
        }
        out
    }

    /// Takes an order the previous run left working as this run's own: an entry is cancelled again at the first
    /// timer and its fills until then open a trade guarded by its signal's stop; an exit is re-priced and
    /// escalated like any other. Neither is sent twice: the instrument waits for it (an entry beside an exit
    /// is followed detached, as when an exit's cancel of the entry's rest is refused).
    fn follow_left_working(
        &mut self,
        tag: &OrderTag,
        left: &LeftWorking,
        restoration: &Restoration,
        at: DateTime<Utc>,
    ) {
        let Some(book) = self.books.get_mut(&left.instrument) else {
            return;
        };
        let mut pending = if left.entry {
            let Some(&(stop, target)) = restoration.guards.get(&left.instrument) else {
                return;
            };
            let signal = EntrySignal {
                side: left.side,
                price: left.price,
                stop,
                target,
                reason: "left working by the previous run",
            };
            let mut pending = Pending::new(&left.instrument, Some(signal), None, left.quantity, at);
            pending.cancel_again_at = Some(at);
            pending
        } else {
            Pending::new(
                &left.instrument,
                None,
                Some(ExitReason::LeftWorking),
                left.quantity,
                at,
            )
        };
        pending.remaining = left.remaining;
        if book.pending.is_none() {
            book.pending = Some(tag.clone());
        }
        self.pending.insert(tag.clone(), pending);
    }

    /// A start mid-session: `instrument`'s opening range rebuilt from today's one-minute candles before its first
    /// live price (see `Setup::replay`); candles of another day, or not complete at `now`, are left out. Notes
    /// the instrument sitting out when the candles disqualify it.
    pub fn replay_minutes(
        &mut self,
        instrument: &InstrumentId,
        candles: &[Candle],
        previous_close: Decimal,
        now: DateTime<Utc>,
    ) -> Vec<Command> {
        let Some(open) = self.session_open(now) else {
            return Vec::new();
        };
        let Some(book) = self.books.get_mut(instrument) else {
            return Vec::new();
        };
        let today = to_ist(now).date_naive();
        let complete: Vec<Candle> = candles
            .iter()
            .filter(|c| c.start + chrono::TimeDelta::minutes(1) <= now)
            .filter(|c| to_ist(c.start).date_naive() == today)
            .cloned()
            .collect();
        book.setup
            .replay(&complete, previous_close, open, &self.strategy);
        match &book.setup.state {
            SetupState::Disqualified(why) => vec![Command::Note(EngineNote::Disqualified {
                instrument: instrument.clone(),
                why: why.clone(),
            })],
            _ => Vec::new(),
        }
    }
}
