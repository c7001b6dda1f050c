//! What the engine does about an order that has not done what was asked in time, on every price and timer:
//! - an entry not wholly filled after `orders.entry_fill_timeout_s` is cancelled (what filled is already a
//!   guarded position);
//! - an exit not filled after `orders.exit_reprice_after_s` is re-priced in place toward the market, one
//!   protection further each time up to `MAX_EXIT_REACH_PCT`; past `orders.exit_reprice_steps` it is escalated:
//!   the trader is told once, and it keeps following the last price at the widest reach until flat;
//! - an exit or resting stop that ended short (refused, cancelled at the broker, replaced) is sent again when
//!   its retry is due, and one the broker never took (lost) at once;
//! - a change the broker refused is tried once more, then the order is cancelled and replaced;
//! - a cancel the broker refused is not the last word: an entry's is asked again after the re-pricing interval,
//!   and an exit that was to be replaced goes back to being re-priced (then replaced again).
//!
//! Filled shares are guarded from their first fill: a resting stop sized to what filled, resized as the rest
//! of the entry fills.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Command, Engine, EngineNote, Pending, Retry, risk};
use crate::domain::{InstrumentId, OrderTag};

impl Engine {
    pub(super) fn follow_up(&mut self, now: DateTime<Utc>, out: &mut Vec<Command>) {
        let entry_timeout = delta(self.policy.entry_fill_timeout());
        for (tag, pending) in self.pending.iter_mut() {
            if pending.entry.is_none() || pending.cancel_requested {
                continue;
            }
            let due = match pending.cancel_again_at {
                Some(at) => at <= now,
                None => now - pending.sent_at >= entry_timeout,
            };
            if due {
                pending.cancel_requested = true;
                out.push(Command::Cancel(tag.clone()));
            }
        }
        let reprice_after = delta(self.policy.exit_reprice_after());
        // Only orders and instruments that are doing something are looked at: a price costs the same with 20 or
        // 2,000 instruments in the universe. Sorted, so a replay re-prices in the same order as the day did.
        let mut due: Vec<OrderTag> = self
            .pending
            .iter()
            .filter(|(tag, p)| {
                p.exit.is_some()
                    && !p.replacing
                    && now - p.sent_at >= reprice_after
                    && self
                        .books
                        .get(&p.instrument)
                        .is_some_and(|b| b.pending.as_ref() == Some(*tag))
            })
            .map(|(tag, _)| tag.clone())
            .collect();
        due.sort_unstable();
        for tag in due {
            self.reprice(&tag, 1, now, out);
        }
        // A retry is only ever set for an open trade, so only instruments that traded today can have one.
        let retries: Vec<InstrumentId> = self
            .traded_today
            .iter()
            .filter(|id| {
                self.books
                    .get(*id)
                    .is_some_and(|b| b.retry.is_some_and(|r| r.at <= now))
            })
            .cloned()
            .collect();
        for id in retries {
            let Some(retry) = self.books.get_mut(&id).and_then(|b| b.retry.take()) else {
                continue;
            };
            let open = self.books.get(&id).is_some_and(|b| b.trade.is_some());
            if !open || self.exit_working(&id) {
                continue;
            }
            match retry.exit {
                Some((reason, step)) => self.exit_at_step(&id, reason, step, now, out),
                None => self.protect(&id, now, out),
            }
        }
    }

    /// Moves a working exit `steps` re-pricings further (0: the same reach again) off the last price.
    fn reprice(&mut self, tag: &OrderTag, steps: u32, now: DateTime<Utc>, out: &mut Vec<Command>) {
        let most = self.policy.exit_reprice_steps;
        let Some(pending) = self.pending.get_mut(tag) else {
            return;
        };
        let Some(reason) = pending.exit else { return };
        let Some(book) = self.books.get(&pending.instrument) else {
            return;
        };
        let (Some(trade), Some(last)) = (book.trade.as_ref(), book.last.as_ref()) else {
            return;
        };
        let step = pending.step + steps;
        if step > most && pending.step <= most {
            out.push(Command::Note(EngineNote::ExitEscalated {
                instrument: pending.instrument.clone(),
                tag: tag.clone(),
                reason,
            }));
        }
        pending.step = step;
        pending.sent_at = now;
        out.push(Command::Modify(risk::approve_exit(
            &book.instrument,
            trade.side.opposite(),
            pending.quantity,
            last.last_price,
            step.min(most),
            tag.clone(),
        )));
    }

    /// The broker refused to change a working order: the change is asked once more, then the order is
    /// cancelled and replaced under a new tag when its end is seen.
    pub(super) fn on_modify_failed(&mut self, tag: &OrderTag, out: &mut Vec<Command>) {
        let Some(now) = self.now else { return };
        let Some(pending) = self.pending.get_mut(tag) else {
            return;
        };
        pending.modify_failures += 1;
        if pending.modify_failures >= 2 {
            if !pending.replacing {
                pending.replacing = true;
                out.push(Command::Cancel(tag.clone()));
            }
            return;
        }
        let id = pending.instrument.clone();
        if self.exit_working(&id) {
            self.reprice(tag, 0, now, out);
        } else {
            self.resize_resting_stop(&id, true, out);
        }
    }

    /// The broker refused a cancel. The entry's cancel is asked again after the re-pricing interval. An exit
    /// being replaced after refused changes is re-priced again when due (then replaced again); a resting stop in
    /// that case rests as the broker last accepted it, changed again at its next resize or trail move.
    pub(super) fn on_cancel_failed(&mut self, tag: &OrderTag) {
        let Some(now) = self.now else { return };
        let wait = delta(self.policy.exit_reprice_after());
        let Some(pending) = self.pending.get_mut(tag) else {
            return;
        };
        if pending.entry.is_some() && pending.cancel_requested {
            pending.cancel_requested = false;
            pending.cancel_again_at = Some(now + wait);
        }
        if pending.replacing {
            pending.replacing = false;
            pending.modify_failures = 0;
            pending.sent_at = now;
        }
    }

    /// After an entry fill: the filled shares get a resting stop, or the resting stop grows to cover them.
    pub(super) fn guard_entry_fill(
        &mut self,
        id: &InstrumentId,
        at: DateTime<Utc>,
        out: &mut Vec<Command>,
    ) {
        if !self.strategy.exit.protective_stop || self.exit_working(id) {
            return;
        }
        match self.books.get(id).map(|b| b.protective.is_some()) {
            Some(false) => self.protect(id, at, out),
            Some(true) => self.resize_resting_stop(id, false, out),
            None => {}
        }
    }

    /// Sends the resting stop's change for the position and stop as they stand; `again` sends it even when
    /// nothing changed (the last change was refused).
    fn resize_resting_stop(&mut self, id: &InstrumentId, again: bool, out: &mut Vec<Command>) {
        let Some(book) = self.books.get(id) else {
            return;
        };
        let (Some(tag), Some(trade)) = (book.protective.as_ref(), book.trade.as_ref()) else {
            return;
        };
        let Some(pending) = self.pending.get_mut(tag) else {
            return;
        };
        let quantity = book.position.net_quantity.unsigned_abs() as u32;
        if quantity == 0 || (quantity == pending.quantity && !again) {
            return;
        }
        pending.quantity = quantity;
        pending.remaining = quantity;
        out.push(Command::Modify(risk::approve_protective_stop(
            &book.instrument,
            trade.side.opposite(),
            quantity,
            trade.stop,
            tag.clone(),
        )));
    }

    /// A lost order is an order that never was: what it was for is done again under a new tag, at once.
    pub(super) fn on_order_lost(&mut self, tag: &OrderTag, out: &mut Vec<Command>) {
        let Some(ended) = self.forget(tag) else {
            return;
        };
        let Some(now) = self.now else { return };
        match ended.pending.exit {
            Some(reason) if ended.exiting => self.exit_at_step(
                &ended.pending.instrument,
                reason,
                ended.pending.step,
                now,
                out,
            ),
            Some(_) if ended.resting => self.protect(&ended.pending.instrument, now, out),
            _ => {}
        }
    }

    /// An order ended short. An exit, or a resting stop, that leaves the trade open is sent again after the
    /// re-pricing interval (an exit one step further): a refusal is answered by re-pricing, not by resending.
    pub(super) fn on_order_ended(&mut self, tag: &OrderTag) {
        let Some(ended) = self.forget(tag) else {
            return;
        };
        let Some(now) = self.now else { return };
        let wait = TimeDelta::from_std(self.policy.exit_reprice_after()).unwrap_or_default();
        // A replacement for a change the broker refused goes out at once.
        let at = if ended.pending.replacing {
            now
        } else {
            now + wait
        };
        let Some(book) = self.books.get_mut(&ended.pending.instrument) else {
            return;
        };
        if book.trade.is_none() {
            return;
        }
        book.retry = match ended.pending.exit {
            Some(reason) if ended.exiting => Some(Retry {
                exit: Some((reason, ended.pending.step + 1)),
                at,
            }),
            Some(_) if ended.resting => Some(Retry { exit: None, at }),
            _ => book.retry,
        };
    }

    /// Drops an order that ended from the books, saying what it was.
    fn forget(&mut self, tag: &OrderTag) -> Option<Ended> {
        let pending = self.pending.remove(tag)?;
        let book = self.books.get_mut(&pending.instrument)?;
        let exiting = book.pending.as_ref() == Some(tag);
        let resting = book.protective.as_ref() == Some(tag);
        if exiting {
            book.pending = None;
        }
        if resting {
            book.protective = None;
        }
        Some(Ended {
            pending,
            exiting,
            resting,
        })
    }
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// An order that ended, and what it was doing for its instrument.
struct Ended {
    pending: Pending,
    /// It was the exit working for the instrument.
    exiting: bool,
    /// It was the resting stop (perhaps also the exit it had become).
    resting: bool,
}
