//! Paper fills without a network or a runtime, for a replay of a recorded day and for a backtest: the
//! same `PaperBroker` that fills paper orders live, driven synchronously (it never waits on anything, so its
//! futures are ready at once), its order book turned into the fill and order-end events the engine takes. One
//! fill model for live paper and offline runs, so a replay's fills are the ones paper trading would have had.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use rust_decimal::Decimal;

use super::executor::SubmitOutcome;
use super::paper::PaperBroker;
use crate::broker::{BrokerError, ErrorClass, OrderBroker, OrderState};
use crate::domain::{Fill, OrderRequest, OrderTag, Tick};
use crate::engine::{ApprovedOrder, EngineEvent};

/// What has been reported of one paper order.
struct Followed {
    request: OrderRequest,
    filled: u32,
    /// Average price times filled quantity, as reported so far.
    value: Decimal,
    ended: bool,
}

pub struct OfflineFills {
    paper: PaperBroker,
    orders: HashMap<String, Followed>,
    ids: HashMap<OrderTag, String>,
}

/// A paper call's answer; its futures never wait, so one that did would be a bug, said as a broker error.
fn ready<T>(call: impl Future<Output = Result<T, BrokerError>>) -> Result<T, BrokerError> {
    call.now_or_never().unwrap_or_else(|| {
        Err(BrokerError::new(
            ErrorClass::Transient,
            "offline paper",
            "the paper broker waited",
        ))
    })
}

impl OfflineFills {
    pub fn new(paper: PaperBroker) -> Self {
        OfflineFills {
            paper,
            orders: HashMap::new(),
            ids: HashMap::new(),
        }
    }

    /// A new price: resting orders on its instrument may fill.
    pub fn on_price(&mut self, tick: &Tick) -> Vec<EngineEvent> {
        let filled = self
            .paper
            .on_price(&tick.instrument, tick.last_price, tick.last_quantity);
        // The book is read only when a price filled something: reading it on every price would cost more
        // than everything else a backtest does with the price.
        if filled {
            self.reports(tick.received_at)
        } else {
            Vec::new()
        }
    }

    /// Places `order` as paper trading would: it may fill at once against the last price.
    pub fn place(
        &mut self,
        order: &ApprovedOrder,
        at: DateTime<Utc>,
    ) -> (SubmitOutcome, Vec<EngineEvent>) {
        let request = order.request();
        match ready(self.paper.place(request)) {
            Ok(ids) => {
                for id in &ids {
                    self.ids.insert(request.tag.clone(), id.clone());
                    self.orders.insert(
                        id.clone(),
                        Followed {
                            request: request.clone(),
                            filled: 0,
                            value: Decimal::ZERO,
                            ended: false,
                        },
                    );
                }
                (SubmitOutcome::Accepted(ids), self.reports(at))
            }
            Err(e) => {
                let ended = EngineEvent::OrderEnded {
                    tag: request.tag.clone(),
                    rejected: true,
                    reason: e.to_string(),
                };
                (SubmitOutcome::Refused(e), vec![ended])
            }
        }
    }

    /// Changes a working order in place (a trailing resting stop, a re-priced exit); it may fill at once.
    pub fn modify(&mut self, order: &ApprovedOrder, at: DateTime<Utc>) -> Vec<EngineEvent> {
        let request = order.request();
        let Some(id) = self.ids.get(&request.tag).cloned() else {
            return Vec::new();
        };
        match ready(self.paper.modify(&id, request)) {
            Ok(()) => self.reports(at),
            Err(e) => vec![EngineEvent::ModifyFailed {
                tag: request.tag.clone(),
                reason: e.to_string(),
            }],
        }
    }

    pub fn cancel(&mut self, tag: &OrderTag, at: DateTime<Utc>) -> Vec<EngineEvent> {
        let Some(id) = self.ids.get(tag).cloned() else {
            return Vec::new();
        };
        match ready(self.paper.cancel(&id)) {
            Ok(()) => self.reports(at),
            Err(e) => vec![EngineEvent::CancelFailed {
                tag: tag.clone(),
                reason: e.to_string(),
            }],
        }
    }

    /// What changed in the paper book since it was last read: new fills (by the growth of each order's filled
    /// quantity and value) and orders that ended unfilled.
    fn reports(&mut self, at: DateTime<Utc>) -> Vec<EngineEvent> {
        let Ok(book) = ready(self.paper.order_book()) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for report in book {
            let Some(followed) = self.orders.get_mut(&report.order_id) else {
                continue;
            };
            if report.filled_quantity > followed.filled {
                let quantity = report.filled_quantity - followed.filled;
                let value = report.average_price.unwrap_or_default()
                    * Decimal::from(report.filled_quantity);
                let price = (value - followed.value) / Decimal::from(quantity);
                followed.filled = report.filled_quantity;
                followed.value = value;
                events.push(EngineEvent::Fill(Fill {
                    order_id: report.order_id.clone(),
                    tag: Some(followed.request.tag.clone()),
                    instrument: followed.request.instrument.clone(),
                    side: followed.request.side,
                    quantity,
                    price: price.round_dp(4).normalize(),
                    time: at,
                }));
            }
            let unfilled_end = matches!(report.state, OrderState::Cancelled | OrderState::Rejected);
            if unfilled_end && !followed.ended {
                followed.ended = true;
                events.push(EngineEvent::OrderEnded {
                    tag: followed.request.tag.clone(),
                    rejected: report.state == OrderState::Rejected,
                    reason: report.status_text.clone(),
                });
            }
        }
        events
    }
}
