//! Restart: the engine takes back the day so far from what reconciliation found in the journal and at the
//! broker, so positions stay guarded, limits hold across restarts and tags never repeat.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::setup::SetupState;
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
        let unprotected: Vec<InstrumentId> = self
            .books
            .iter()
            .filter(|(_, b)| b.trade.is_some() && b.protective.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Vec::new();
        for id in unprotected {
            self.protect(&id, at, &mut out);
        }
        out
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
