//! Orders of the previous run that the broker still shows working after their cancel at a restart (the cancel
//! refused, or not confirmed in time). Left alone, they could fill while nobody watches: an entry would open
//! a position without a stop, an exit would close one the engine still thinks open. So each one this run can
//! account for is followed as its own: an entry on the side of its journaled signal, which gives its stop; an
//! exit or resting stop of a position that is open. The engine asks the entry's cancel again and guards what
//! fills meanwhile; it re-prices the exit like any other. An order this run cannot account for is named, and
//! new entries stay off.

use std::collections::HashMap;

use super::reconcile::{Reconciled, followed_request, net_positions};
use crate::broker::OrderReport;
use crate::domain::{InstrumentId, OrderTag};
use crate::engine::LeftWorking;

impl Reconciled {
    /// Takes over `orders` where it can; returns those it cannot. Each is followed as the reconciliation's own
    /// snapshot of the book reported it, so the fills it counted and the fills the executor counts from agree;
    /// one that snapshot shows ended has nothing left to follow.
    pub fn follow_left_working(
        &mut self,
        orders: Vec<OrderReport>,
        keys: &HashMap<String, InstrumentId>,
    ) -> Vec<OrderReport> {
        let net = net_positions(&self.restoration.fills);
        let mut unaccounted = Vec::new();
        for asked in orders {
            let Some(order) = self
                .working_orders
                .iter()
                .find(|w| w.order_id == asked.order_id)
                .cloned()
            else {
                continue;
            };
            let tag = order
                .tag
                .as_deref()
                .and_then(|t| t.parse::<OrderTag>().ok());
            let purpose = order
                .tag
                .as_deref()
                .and_then(OrderTag::purpose_and_number)
                .map(|(purpose, _)| purpose);
            let instrument = keys
                .get(&order.instrument_key)
                .filter(|id| !self.mismatched.contains(*id));
            let request = instrument.and_then(|id| followed_request(&order, id));
            let (Some(tag), Some(purpose), Some(id), Some(request)) =
                (tag, purpose, instrument, request)
            else {
                unaccounted.push(order);
                continue;
            };
            let open = net.get(id).copied().unwrap_or(0);
            let closes_open = open != 0 && order.side.sign() * open < 0;
            let remaining = order.quantity.saturating_sub(order.filled_quantity);
            let left = |entry: bool| {
                self.restoration
                    .left_working
                    .values()
                    .any(|l| &l.instrument == id && l.entry == entry)
            };
            // One closing order per position: a kept or followed resting stop and a followed exit could both fill
            // and flip it.
            let closing = left(false) || self.restoration.protective.contains_key(id);
            let adopted = match purpose {
                'E' => match self.signals.get(id).copied() {
                    Some((side, stop, target)) if side == order.side && !left(true) => {
                        self.restoration
                            .guards
                            .entry(id.clone())
                            .or_insert((stop, target));
                        self.left(tag, id, &order, true);
                        true
                    }
                    _ => false,
                },
                'X' if closes_open && !closing => {
                    self.left(tag, id, &order, false);
                    true
                }
                'P' if closes_open && !closing => {
                    self.restoration
                        .protective
                        .insert(id.clone(), (tag, remaining));
                    true
                }
                _ => false,
            };
            if adopted {
                self.actions.push(format!(
                    "following {} (broker id {}) as this run's own: its cancel was not confirmed, {remaining} of \
                     {} still to fill",
                    request.tag, order.order_id, order.quantity
                ));
                self.followed.push((request, order));
            } else {
                unaccounted.push(order);
            }
        }
        unaccounted
    }

    fn left(&mut self, tag: OrderTag, id: &InstrumentId, order: &OrderReport, entry: bool) {
        let price = if order.price > rust_decimal::Decimal::ZERO {
            order.price
        } else {
            order.trigger_price
        };
        self.restoration.left_working.insert(
            tag,
            LeftWorking {
                instrument: id.clone(),
                side: order.side,
                price,
                quantity: order.quantity,
                remaining: order.quantity.saturating_sub(order.filled_quantity),
                entry,
            },
        );
    }
}
