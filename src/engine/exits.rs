//! How open trades are closed: the stop order resting at the broker, exit orders (which take over that resting
//! stop when there is one, so a trade never has two exit orders, and cancel what is left of the entry), the flat
//! time and the daily loss limit, and a shutdown's wind-down.

use chrono::{DateTime, Utc};

use super::{Command, Engine, EngineNote, ExitReason, Pending, risk};
use crate::domain::{Exchange, InstrumentId};

impl Engine {
    /// Rests a stop order at the broker for `id`'s open trade, when the strategy asks for one.
    pub(super) fn protect(&mut self, id: &InstrumentId, at: DateTime<Utc>, out: &mut Vec<Command>) {
        if !self.strategy.exit.protective_stop {
            return;
        }
        let tag = self.next_tag(id, 'P', at);
        let Some(book) = self.books.get_mut(id) else {
            return;
        };
        let Some(trade) = book.trade.as_ref() else {
            return;
        };
        let quantity = book.position.net_quantity.unsigned_abs() as u32;
        if quantity == 0 || book.protective.is_some() {
            return;
        }
        let order = risk::approve_protective_stop(
            &book.instrument,
            trade.side.opposite(),
            quantity,
            trade.stop,
            tag.clone(),
        );
        book.protective = Some(tag.clone());
        book.retry = None;
        self.pending.insert(
            tag,
            Pending::new(id, None, Some(ExitReason::Stop), quantity, at),
        );
        out.push(Command::Place(order));
    }

    pub(super) fn exit(
        &mut self,
        id: &InstrumentId,
        reason: ExitReason,
        now: DateTime<Utc>,
        out: &mut Vec<Command>,
    ) {
        self.exit_at_step(id, reason, 0, now, out);
    }

    /// An exit reaching `step` re-pricings through the last price (0: the price protection).
    pub(super) fn exit_at_step(
        &mut self,
        id: &InstrumentId,
        reason: ExitReason,
        step: u32,
        now: DateTime<Utc>,
        out: &mut Vec<Command>,
    ) {
        let tag = self.next_tag(id, 'X', now);
        let book = self
            .books
            .get_mut(id)
            .expect("exits are for known instruments");
        let (Some(trade), Some(last)) = (book.trade.as_ref(), book.last.as_ref()) else {
            return;
        };
        let quantity = book.position.net_quantity.unsigned_abs() as u32;
        if quantity == 0 {
            return;
        }
        // What is left of the entry goes: a fill of it now would grow the position the exit is closing.
        if let Some(working) = book.pending.take() {
            if let Some(entry) = self.pending.get_mut(&working).filter(|p| p.entry.is_some()) {
                if !entry.cancel_requested {
                    entry.cancel_requested = true;
                    out.push(Command::Cancel(working));
                }
            }
        }
        book.retry = None;
        // A resting stop becomes the exit itself: a second order could fill beside it and flip the position.
        let resting = book.protective.clone();
        let order = risk::approve_exit(
            &book.instrument,
            trade.side.opposite(),
            quantity,
            last.last_price,
            step,
            resting.clone().unwrap_or(tag.clone()),
        );
        out.push(Command::Note(EngineNote::Exit {
            instrument: id.clone(),
            reason,
            price: last.last_price,
        }));
        if let Some(resting) = resting {
            if let Some(pending) = self.pending.get_mut(&resting) {
                pending.exit = Some(reason);
                pending.sent_at = now;
                pending.step = step;
                pending.modify_failures = 0;
            }
            book.pending = Some(resting);
            out.push(Command::Modify(order));
            return;
        }
        book.pending = Some(tag.clone());
        let mut pending = Pending::new(id, None, Some(reason), quantity, now);
        pending.step = step;
        self.pending.insert(tag, pending);
        out.push(Command::Place(order));
    }

    /// The daily loss limit and the flat time: cancel pending entries and close everything, retrying exits
    /// that ended unfilled.
    pub(super) fn check_day_limits(&mut self, now: DateTime<Utc>, out: &mut Vec<Command>) {
        let flat_time = self
            .cutoffs
            .square_off_time
            .min(self.strategy.time.flat_time);
        let flat_due = self.local_time(now) >= flat_time && self.session_open(now).is_some();
        if !self.daily_loss_tripped {
            let pnl = self.day_pnl();
            if pnl <= -self.limits.max_daily_loss {
                self.daily_loss_tripped = true;
                out.push(Command::Note(EngineNote::DailyLossTripped { pnl }));
            }
        }
        if !(self.daily_loss_tripped || flat_due) {
            return;
        }
        let reason = if self.daily_loss_tripped {
            ExitReason::DailyLoss
        } else {
            ExitReason::TimeExit
        };
        self.wind_down(Some(reason), None, now, out);
        self.kill_switch_when_flat(out);
    }

    /// The kill switch, the last step after the daily loss limit: only once everything is flat, since Upstox
    /// refuses to switch a segment off while it holds positions (UDAPI1184).
    fn kill_switch_when_flat(&mut self, out: &mut Vec<Command>) {
        let flat = self.pending.is_empty() && self.books.values().all(|b| b.trade.is_none());
        if !(self.daily_loss_tripped && self.limits.kill_switch_on_daily_loss && flat)
            || self.kill_switch_asked
        {
            return;
        }
        self.kill_switch_asked = true;
        let mut exchanges: Vec<Exchange> = self.books.keys().map(|id| id.exchange).collect();
        exchanges.sort();
        exchanges.dedup();
        out.push(Command::KillSwitch { exchanges });
    }

    /// Cancels pending entries and, with `close`, exits open trades: of `only` when given, else of every
    /// instrument.
    pub(super) fn wind_down(
        &mut self,
        close: Option<ExitReason>,
        only: Option<&InstrumentId>,
        now: DateTime<Utc>,
        out: &mut Vec<Command>,
    ) {
        let chosen = |id: &InstrumentId| only.is_none_or(|only| only == id);
        for (tag, pending) in self.pending.iter_mut() {
            // A cancel the broker refused is asked again when due (see `follow_up`), not on every price.
            let due = pending.cancel_again_at.is_none_or(|at| at <= now);
            if pending.entry.is_some()
                && !pending.cancel_requested
                && due
                && chosen(&pending.instrument)
            {
                pending.cancel_requested = true;
                out.push(Command::Cancel(tag.clone()));
            }
        }
        let Some(reason) = close else { return };
        let open: Vec<InstrumentId> = self
            .books
            .iter()
            .filter(|(id, b)| {
                chosen(id) && b.trade.is_some() && !self.exit_working(id) && !b.exit_due_again()
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in open {
            self.exit(&id, reason, now, out);
        }
    }
}
