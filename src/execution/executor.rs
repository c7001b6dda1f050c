//! The order executor: rate-limited submission, ambiguity resolution by tag, and order-book polling that turns
//! broker states into the engine's `Fill` and `OrderEnded` events.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::broker::{
    BrokerError, ErrorClass, OrderBroker, OrderReport, OrderState, RateBudget, RateLimit,
};
use crate::calendar::Clock;
use crate::domain::{Fill, OrderRequest, OrderTag};
use crate::engine::{ApprovedOrder, EngineEvent};

/// How often an ambiguous submit is looked up by tag before it is left to later polls.
const LOOKUPS: u32 = 3;
const LOOKUP_WAIT: Duration = Duration::from_secs(1);
/// How many times a submit refused with 429 (never accepted) is sent again.
const RATE_LIMIT_RETRIES: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Accepted(Vec<String>),
    /// The submit's outcome was unknown; the order was found by its tag.
    FoundByTag(Vec<String>),
    /// The broker refused it; the engine is told the order ended.
    Refused(BrokerError),
    /// Neither acknowledged nor found yet; later polls keep looking for its tag. Never re-sent.
    Unresolved,
}

struct Tracked {
    request: OrderRequest,
    order_ids: Vec<String>,
    filled: u32,
    filled_value: Decimal,
    ended: bool,
}

pub struct Executor<B: OrderBroker> {
    broker: Arc<B>,
    clock: Clock,
    rate: RateLimit,
    submit_timeout: Duration,
    tracked: HashMap<OrderTag, Tracked>,
}

impl<B: OrderBroker> Executor<B> {
    /// `orders_per_second` from the risk limits: the exchange's retail-algo threshold is 10.
    pub fn new(
        broker: Arc<B>,
        clock: Clock,
        orders_per_second: u32,
        submit_timeout: Duration,
    ) -> Self {
        let budget = RateBudget {
            per_second: orders_per_second,
            ..RateBudget::UPSTOX_ORDERS
        };
        Executor {
            broker,
            clock,
            rate: RateLimit::new(budget),
            submit_timeout,
            tracked: HashMap::new(),
        }
    }

    /// Sends one approved order, waiting for room in the order budget (queued, never dropped).
    pub async fn submit(&mut self, order: &ApprovedOrder) -> (SubmitOutcome, Vec<EngineEvent>) {
        let request = order.request().clone();
        let tag = request.tag.clone();
        if self.tracked.contains_key(&tag) {
            return (SubmitOutcome::Unresolved, Vec::new());
        }
        self.tracked.insert(
            tag.clone(),
            Tracked {
                request: request.clone(),
                order_ids: Vec::new(),
                filled: 0,
                filled_value: Decimal::ZERO,
                ended: false,
            },
        );
        let mut attempt = 0;
        let outcome = loop {
            self.rate.acquire().await;
            match self.place_within_timeout(&request).await {
                Ok(ids) => break SubmitOutcome::Accepted(ids),
                Err(e) if e.class == ErrorClass::RateLimited && attempt < RATE_LIMIT_RETRIES => {
                    attempt += 1;
                    self.clock.sleep(LOOKUP_WAIT * attempt).await;
                }
                Err(e) if e.class == ErrorClass::Transient => {
                    break self.resolve_by_tag(&tag).await;
                }
                Err(e) => break SubmitOutcome::Refused(e),
            }
        };
        let mut events = Vec::new();
        match &outcome {
            SubmitOutcome::Accepted(ids) | SubmitOutcome::FoundByTag(ids) => {
                self.tracked
                    .get_mut(&tag)
                    .expect("inserted above")
                    .order_ids = ids.clone();
            }
            SubmitOutcome::Refused(e) => {
                self.tracked.get_mut(&tag).expect("inserted above").ended = true;
                events.push(EngineEvent::OrderEnded {
                    tag: tag.clone(),
                    rejected: true,
                    reason: e.to_string(),
                });
            }
            SubmitOutcome::Unresolved => {
                tracing::error!(%tag, "order submit unresolved; not re-sending, watching the order book for its tag");
            }
        }
        (outcome, events)
    }

    async fn place_within_timeout(
        &self,
        request: &OrderRequest,
    ) -> Result<Vec<String>, BrokerError> {
        tokio::select! {
            result = self.broker.place(request) => result,
            _ = self.clock.sleep(self.submit_timeout) => Err(BrokerError::new(
                ErrorClass::Transient,
                "order place",
                "no acknowledgement within the submit timeout",
            )),
        }
    }

    async fn resolve_by_tag(&self, tag: &OrderTag) -> SubmitOutcome {
        for lookup in 0..LOOKUPS {
            if lookup > 0 {
                self.clock.sleep(LOOKUP_WAIT).await;
            }
            if let Ok(reports) = self.broker.orders_tagged(tag).await {
                let ids = distinct_ids(&reports);
                if !ids.is_empty() {
                    tracing::info!(%tag, "ambiguous submit resolved: the order exists");
                    return SubmitOutcome::FoundByTag(ids);
                }
            }
        }
        SubmitOutcome::Unresolved
    }

    pub async fn cancel(&mut self, tag: &OrderTag) -> Result<(), BrokerError> {
        let ids = self
            .tracked
            .get(tag)
            .map(|t| t.order_ids.clone())
            .unwrap_or_default();
        for id in ids {
            self.broker.cancel(&id).await?;
        }
        Ok(())
    }

    /// Changes a working order of ours in place (see `OrderBroker::modify`).
    pub async fn modify(&mut self, order: &ApprovedOrder) -> Result<(), BrokerError> {
        let request = order.request();
        let tracked = self
            .tracked
            .get_mut(&request.tag)
            .filter(|t| !t.ended && !t.order_ids.is_empty())
            .ok_or_else(|| {
                BrokerError::new(
                    ErrorClass::Rejected,
                    "order modify",
                    format!("{} is not a working order", request.tag),
                )
            })?;
        self.rate.acquire().await;
        for id in &tracked.order_ids {
            self.broker.modify(id, request).await?;
        }
        tracked.request = request.clone();
        Ok(())
    }

    /// Takes over an order a previous run left working (a resting stop), so its fills are followed.
    pub fn adopt(&mut self, request: OrderRequest, report: &OrderReport) {
        let filled_value =
            report.average_price.unwrap_or_default() * Decimal::from(report.filled_quantity);
        self.tracked.insert(
            request.tag.clone(),
            Tracked {
                request,
                order_ids: vec![report.order_id.clone()],
                filled: report.filled_quantity,
                filled_value,
                ended: false,
            },
        );
    }

    /// Whether any order may still fill or end: only then is the order book worth polling.
    pub fn has_working_orders(&self) -> bool {
        self.tracked.values().any(|t| !t.ended)
    }

    /// Polls the order book: new fills become `Fill`s, orders that ended unfilled become `OrderEnded`.
    pub async fn sync(&mut self) -> Result<Vec<EngineEvent>, BrokerError> {
        let book = self.broker.order_book().await?;
        let mut events = Vec::new();
        let now = self.clock.now();
        for (tag, tracked) in self.tracked.iter_mut().filter(|(_, t)| !t.ended) {
            let reports: Vec<&OrderReport> = book
                .iter()
                .filter(|r| r.tag.as_deref() == Some(tag.as_str()))
                .collect();
            if reports.is_empty() {
                continue;
            }
            if tracked.order_ids.is_empty() {
                tracked.order_ids = reports.iter().map(|r| r.order_id.clone()).collect();
            }
            let filled: u32 = reports.iter().map(|r| r.filled_quantity).sum();
            let value: Decimal = reports
                .iter()
                .map(|r| r.average_price.unwrap_or_default() * Decimal::from(r.filled_quantity))
                .sum();
            if filled > tracked.filled {
                let quantity = filled - tracked.filled;
                let price = (value - tracked.filled_value) / Decimal::from(quantity);
                events.push(EngineEvent::Fill(Fill {
                    order_id: reports[0].order_id.clone(),
                    tag: Some(tag.clone()),
                    instrument: tracked.request.instrument.clone(),
                    side: tracked.request.side,
                    quantity,
                    price,
                    time: now,
                }));
                tracked.filled = filled;
                tracked.filled_value = value;
            }
            if reports.iter().all(|r| r.state.is_final()) {
                tracked.ended = true;
                if filled < tracked.request.quantity {
                    let reason = reports
                        .iter()
                        .find_map(|r| r.message.clone())
                        .unwrap_or_else(|| reports[0].status_text.clone());
                    events.push(EngineEvent::OrderEnded {
                        tag: tag.clone(),
                        rejected: reports.iter().any(|r| r.state == OrderState::Rejected),
                        reason,
                    });
                }
            }
        }
        Ok(events)
    }
}

fn distinct_ids(reports: &[OrderReport]) -> Vec<String> {
    let mut ids: Vec<String> = reports.iter().map(|r| r.order_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}
