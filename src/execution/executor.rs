//! The order executor: rate-limited submission, ambiguity resolution by tag, and order-book polling that turns
//! broker states into the engine's `Fill`, `OrderEnded` and `OrderLost` events.
//!
//! A submit whose outcome is unknown (a timeout, a reset, a 5xx, a 2xx whose body cannot be read) is never sent
//! again: its tag is looked up at once and then at every book poll until `RESOLVE_WITHIN` has passed; an
//! intent the book still does not show by then is declared lost, so the engine can act on it under a new tag.
//! Fills are counted from each order's cumulative filled quantity, so a report seen twice adds nothing.
//! Each order's state moves only through its `OrderLifecycle`; the transitions wait in `take_transitions` for
//! the journal.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::order_lifecycle::{OrderLifecycle, OrderStatus, OrderTransition};
use super::report_merge::{Seen, ended, fresher_than};
use crate::broker::{
    BrokerError, ErrorClass, KillSwitchOutcome, OrderBroker, OrderReport, OrderState, RateBudget,
    RateLimit,
};
use crate::calendar::Clock;
use crate::domain::{Exchange, Fill, OrderRequest, OrderTag};
use crate::engine::{ApprovedOrder, EngineEvent};

/// How long an intent whose submit had an unknown outcome is looked for in the order book before it is declared
/// lost. A broker shows an order it took within a second or two; thirty is far past any honest delay.
pub const RESOLVE_WITHIN: Duration = Duration::from_secs(30);
/// The wait before a submit refused with 429 (never accepted) is sent again, times the attempt.
const RETRY_WAIT: Duration = Duration::from_secs(1);
/// How many times a submit refused with 429 is sent again.
const RATE_LIMIT_RETRIES: u32 = 3;
/// How often the kill switch is asked while the broker still shows positions, and how far apart.
const KILL_SWITCH_ATTEMPTS: u32 = 3;
const KILL_SWITCH_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Accepted(Vec<String>),
    /// The submit's outcome was unknown; the order was found by its tag.
    FoundByTag(Vec<String>),
    /// The broker refused it; the engine is told the order ended.
    Refused(BrokerError),
    /// Neither acknowledged nor found yet; book polls keep looking for its tag until `RESOLVE_WITHIN` has passed.
    /// Never re-sent.
    Unresolved,
    /// The same intent was submitted before: nothing was sent.
    Duplicate,
}

struct Tracked {
    request: OrderRequest,
    order_ids: Vec<String>,
    filled: u32,
    filled_value: Decimal,
    lifecycle: OrderLifecycle,
    /// For an intent whose submit had an unknown outcome and that the book has not shown yet: when it is lost.
    lost_at: Option<DateTime<Utc>>,
    /// The latest report of each of its broker orders, from the book or the stream, whichever is fresher.
    seen: HashMap<String, OrderReport>,
}

pub struct Executor<B: OrderBroker> {
    broker: Arc<B>,
    clock: Clock,
    rate: RateLimit,
    submit_timeout: Duration,
    tracked: HashMap<OrderTag, Tracked>,
    transitions: Vec<OrderTransition>,
}

impl Tracked {
    fn working(&self) -> bool {
        !self.lifecycle.status().is_final()
    }
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
            transitions: Vec::new(),
        }
    }

    /// Sends one approved order, waiting for room in the order budget (queued, never dropped).
    pub async fn submit(&mut self, order: &ApprovedOrder) -> (SubmitOutcome, Vec<EngineEvent>) {
        let request = order.request().clone();
        let tag = request.tag.clone();
        if self.tracked.contains_key(&tag) {
            return (SubmitOutcome::Duplicate, Vec::new());
        }
        let lifecycle = OrderLifecycle::begin(
            &tag,
            OrderStatus::Submitted,
            self.clock.now(),
            "sent",
            &mut self.transitions,
        );
        self.tracked.insert(
            tag.clone(),
            Tracked {
                request: request.clone(),
                order_ids: Vec::new(),
                filled: 0,
                filled_value: Decimal::ZERO,
                lifecycle,
                lost_at: None,
                seen: HashMap::new(),
            },
        );
        let mut attempt = 0;
        let mut token_reloaded = false;
        let outcome = loop {
            self.rate.acquire().await;
            match self.place_within_timeout(&request).await {
                Ok(ids) => break SubmitOutcome::Accepted(ids),
                // A 401 is answered before anything is placed: with a new token the same intent may go once more.
                Err(e) if e.class == ErrorClass::Auth && !token_reloaded => {
                    token_reloaded = true;
                    if !self.broker.reload_token().await {
                        break SubmitOutcome::Refused(e);
                    }
                    tracing::info!(%tag, "order refused with 401; a new token was found, sending again");
                }
                Err(e) if e.class == ErrorClass::RateLimited && attempt < RATE_LIMIT_RETRIES => {
                    attempt += 1;
                    self.clock.sleep(RETRY_WAIT * attempt).await;
                }
                Err(e) if e.outcome_unknown() => {
                    tracing::warn!(%tag, error = %e, "order submit outcome unknown; looking for its tag");
                    self.advance(&tag, OrderStatus::Unknown, &e.to_string());
                    break self.look_up(&tag).await;
                }
                Err(e) => break SubmitOutcome::Refused(e),
            }
        };
        let mut events = Vec::new();
        match &outcome {
            SubmitOutcome::Accepted(ids) | SubmitOutcome::FoundByTag(ids) => {
                let why = match outcome {
                    SubmitOutcome::Accepted(_) => "acknowledged",
                    _ => "found by its tag",
                };
                self.advance(&tag, OrderStatus::Accepted, why);
                self.tracked
                    .get_mut(&tag)
                    .expect("inserted above")
                    .order_ids = ids.clone();
            }
            SubmitOutcome::Refused(e) => {
                self.advance(&tag, OrderStatus::Rejected, &e.to_string());
                events.push(EngineEvent::OrderEnded {
                    tag: tag.clone(),
                    rejected: true,
                    reason: e.to_string(),
                });
            }
            SubmitOutcome::Unresolved => {
                let within = TimeDelta::from_std(RESOLVE_WITHIN).expect("a small duration");
                self.tracked.get_mut(&tag).expect("inserted above").lost_at =
                    Some(self.clock.now() + within);
                tracing::error!(%tag, "order submit unresolved; not re-sending, watching the order book for its tag");
            }
            SubmitOutcome::Duplicate => {}
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

    /// One look for the tag right after an unknown outcome; later book polls go on looking.
    async fn look_up(&self, tag: &OrderTag) -> SubmitOutcome {
        match self.broker.orders_tagged(tag).await {
            Ok(reports) if !reports.is_empty() => {
                tracing::info!(%tag, "ambiguous submit resolved: the order exists");
                SubmitOutcome::FoundByTag(distinct_ids(&reports))
            }
            _ => SubmitOutcome::Unresolved,
        }
    }

    /// Cancels `tag`'s order. One whose submit outcome is still unknown has no ids yet: its cancel is owed and
    /// sent by the book poll that finds it, so a late-found entry cannot fill unasked.
    pub async fn cancel(&mut self, tag: &OrderTag) -> Result<(), BrokerError> {
        let ids = self
            .tracked
            .get(tag)
            .map(|t| t.order_ids.clone())
            .unwrap_or_default();
        if ids.is_empty() {
            // Pending a cancel with no ids is the owed cancel sent once the book or the stream shows the order.
            self.advance(
                tag,
                OrderStatus::PendingCancel,
                "cancel owed until the order is found",
            );
            return Ok(());
        }
        self.advance(tag, OrderStatus::PendingCancel, "cancel sent");
        self.send_cancels(tag, ids).await
    }

    async fn send_cancels(&mut self, tag: &OrderTag, ids: Vec<String>) -> Result<(), BrokerError> {
        for id in ids {
            if let Err(e) = self.with_fresh_token(|broker| broker.cancel(&id)).await {
                self.back_to_working(tag, &format!("cancel refused: {e}"));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Moves `tag`'s order to `next` (see `OrderLifecycle::advance`); an order no longer working stays as it is.
    fn advance(&mut self, tag: &OrderTag, next: OrderStatus, why: &str) {
        let now = self.clock.now();
        if let Some(tracked) = self.tracked.get_mut(tag).filter(|t| t.working()) {
            tracked
                .lifecycle
                .advance(tag, next, now, why, &mut self.transitions);
        }
    }

    /// A refused change or cancel: the order works on as its fills say.
    fn back_to_working(&mut self, tag: &OrderTag, why: &str) {
        if let Some(t) = self.tracked.get(tag) {
            let next = OrderStatus::working(t.filled, t.request.quantity);
            self.advance(tag, next, why);
        }
    }

    /// The order transitions since the last call, oldest first, for the journal.
    pub fn take_transitions(&mut self) -> Vec<OrderTransition> {
        std::mem::take(&mut self.transitions)
    }

    /// Runs `call`, and once more after a 401 when a new token is found: the broker did nothing on a 401.
    async fn with_fresh_token<'a, T, Fut>(
        &'a self,
        call: impl Fn(&'a B) -> Fut,
    ) -> Result<T, BrokerError>
    where
        Fut: std::future::Future<Output = Result<T, BrokerError>>,
    {
        match call(&self.broker).await {
            Err(e) if e.class == ErrorClass::Auth && self.broker.reload_token().await => {
                call(&self.broker).await
            }
            result => result,
        }
    }

    /// Changes a working order of ours in place (see `OrderBroker::modify`).
    pub async fn modify(&mut self, order: &ApprovedOrder) -> Result<(), BrokerError> {
        let request = order.request();
        let ids = self
            .tracked
            .get(&request.tag)
            .filter(|t| t.working() && !t.order_ids.is_empty())
            .map(|t| t.order_ids.clone())
            .ok_or_else(|| {
                BrokerError::new(
                    ErrorClass::Rejected,
                    "order modify",
                    format!("{} is not a working order", request.tag),
                )
            })?;
        self.rate.acquire().await;
        self.advance(&request.tag, OrderStatus::PendingModify, "change sent");
        for id in &ids {
            if let Err(e) = self
                .with_fresh_token(|broker| broker.modify(id, request))
                .await
            {
                self.back_to_working(&request.tag, &format!("change refused: {e}"));
                return Err(e);
            }
        }
        if let Some(tracked) = self.tracked.get_mut(&request.tag) {
            tracked.request = request.clone();
        }
        self.back_to_working(&request.tag, "changed");
        Ok(())
    }

    /// Asks the broker to switch trading off for `exchanges` (see `OrderBroker::kill_switch`). Refused because
    /// positions are open (UDAPI1184: the broker's positions can trail the fills that made dalal flat), it is
    /// asked again `KILL_SWITCH_WAIT` later, up to `KILL_SWITCH_ATTEMPTS` times; switching off twice is harmless.
    pub async fn kill_switch(
        &self,
        exchanges: &[Exchange],
    ) -> Result<KillSwitchOutcome, BrokerError> {
        let mut attempt = 1;
        loop {
            self.rate.acquire().await;
            match self
                .with_fresh_token(|broker| broker.kill_switch(exchanges))
                .await
            {
                Err(e)
                    if e.code.as_deref() == Some("UDAPI1184") && attempt < KILL_SWITCH_ATTEMPTS =>
                {
                    attempt += 1;
                    self.clock.sleep(KILL_SWITCH_WAIT).await;
                }
                result => return result,
            }
        }
    }

    /// Takes over an order a previous run left working (a resting stop), so its fills are followed.
    pub fn adopt(&mut self, request: OrderRequest, report: &OrderReport) {
        let filled_value =
            report.average_price.unwrap_or_default() * Decimal::from(report.filled_quantity);
        let lifecycle = OrderLifecycle::begin(
            &request.tag,
            OrderStatus::working(report.filled_quantity, request.quantity),
            self.clock.now(),
            "adopted from the previous run",
            &mut self.transitions,
        );
        self.tracked.insert(
            request.tag.clone(),
            Tracked {
                request,
                order_ids: vec![report.order_id.clone()],
                filled: report.filled_quantity,
                filled_value,
                lifecycle,
                lost_at: None,
                seen: HashMap::from([(report.order_id.clone(), report.clone())]),
            },
        );
    }

    /// The broker this executor sends to, for the order stream beside it.
    pub fn broker(&self) -> Arc<B> {
        Arc::clone(&self.broker)
    }

    /// The broker list rows skipped since the last call (see `readable_rows`).
    pub fn take_skipped_rows(&self) -> Vec<crate::broker::SkippedRow> {
        self.broker.take_skipped_rows()
    }

    /// Whether any order may still fill or end: only then is the order book worth polling.
    pub fn has_working_orders(&self) -> bool {
        self.tracked.values().any(Tracked::working)
    }

    /// Polls the order book and takes it in (see `take_in`).
    pub async fn sync(&mut self) -> Result<Vec<EngineEvent>, BrokerError> {
        let book = self.with_fresh_token(|broker| broker.order_book()).await?;
        Ok(self.take_in(&book, Seen::WholeBook).await)
    }

    /// Takes in one order's report pushed by the broker's order stream (see `take_in`).
    pub async fn on_streamed(&mut self, report: OrderReport) -> Vec<EngineEvent> {
        self.take_in(std::slice::from_ref(&report), Seen::Pushed)
            .await
    }

    /// New fills in `reports` become `Fill`s and orders that ended unfilled `OrderEnded`; from a whole book, an
    /// unresolved intent still missing at its deadline becomes `OrderLost`. A report older than one already
    /// seen for the same broker order (the book and the stream race) changes nothing.
    async fn take_in(&mut self, reports: &[OrderReport], seen: Seen) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        let now = self.clock.now();
        let mut owed = Vec::new();
        for (tag, tracked) in self.tracked.iter_mut().filter(|(_, t)| t.working()) {
            let mut advance = |lifecycle: &mut OrderLifecycle, next, why: &str| {
                lifecycle.advance(tag, next, now, why, &mut self.transitions)
            };
            // By tag, or by an id already known (a pushed update may come without its tag).
            let mine: Vec<&OrderReport> = reports
                .iter()
                .filter(|r| {
                    r.tag.as_deref() == Some(tag.as_str())
                        || tracked.order_ids.contains(&r.order_id)
                })
                .collect();
            if mine.is_empty() {
                if seen == Seen::WholeBook && tracked.lost_at.is_some_and(|at| at <= now) {
                    let reason = format!(
                        "not in the broker's order book {} s after a submit whose outcome was unknown",
                        RESOLVE_WITHIN.as_secs()
                    );
                    advance(&mut tracked.lifecycle, OrderStatus::Lost, &reason);
                    tracing::error!(%tag, "an order whose submit outcome was unknown is not at the broker: lost");
                    events.push(EngineEvent::OrderLost {
                        tag: tag.clone(),
                        reason,
                    });
                }
                continue;
            }
            for report in &mine {
                let fresher = tracked
                    .seen
                    .get(&report.order_id)
                    .is_none_or(|old| fresher_than(report, old));
                if fresher {
                    tracked
                        .seen
                        .insert(report.order_id.clone(), (*report).clone());
                }
            }
            if tracked.lost_at.take().is_some()
                && tracked.lifecycle.status() == OrderStatus::Unknown
            {
                advance(
                    &mut tracked.lifecycle,
                    OrderStatus::Accepted,
                    "found by its tag",
                );
            }
            let cancel_owed = tracked.order_ids.is_empty()
                && tracked.lifecycle.status() == OrderStatus::PendingCancel;
            // The acknowledged ids and every one seen since, so a cancel or a change reaches each slice.
            tracked.order_ids.extend(tracked.seen.keys().cloned());
            tracked.order_ids.sort();
            tracked.order_ids.dedup();
            // Every broker order of the intent must have been seen ended, not only the one just reported.
            let all_final = tracked
                .order_ids
                .iter()
                .all(|id| tracked.seen.get(id).is_some_and(ended));
            if cancel_owed && !all_final {
                owed.push((tag.clone(), tracked.order_ids.clone()));
            }
            let filled: u32 = tracked.seen.values().map(|r| r.filled_quantity).sum();
            let value: Decimal = tracked
                .seen
                .values()
                .map(|r| r.average_price.unwrap_or_default() * Decimal::from(r.filled_quantity))
                .sum();
            let before = tracked.filled;
            if filled > before {
                let quantity = filled - before;
                let price = (value - tracked.filled_value) / Decimal::from(quantity);
                events.push(EngineEvent::Fill(Fill {
                    order_id: mine[0].order_id.clone(),
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
            let quantity = tracked.request.quantity;
            let progress = format!("{filled} of {quantity} filled ({})", seen.source());
            if all_final && filled >= quantity {
                advance(&mut tracked.lifecycle, OrderStatus::Filled, &progress);
            } else if all_final {
                let ended: Vec<&OrderReport> = tracked.seen.values().collect();
                let reason = ended
                    .iter()
                    .find_map(|r| r.message.clone())
                    .unwrap_or_else(|| ended[0].status_text.clone());
                let rejected = ended.iter().any(|r| r.state == OrderState::Rejected);
                let end = if rejected {
                    OrderStatus::Rejected
                } else {
                    OrderStatus::Cancelled
                };
                if advance(&mut tracked.lifecycle, end, &reason) {
                    events.push(EngineEvent::OrderEnded {
                        tag: tag.clone(),
                        rejected,
                        reason,
                    });
                }
            } else if filled > before {
                advance(
                    &mut tracked.lifecycle,
                    OrderStatus::PartiallyFilled,
                    &progress,
                );
            }
        }
        for (tag, ids) in owed {
            tracing::info!(%tag, "an order whose cancel was owed is found: cancelling it now");
            if let Err(e) = self.send_cancels(&tag, ids).await {
                tracing::warn!(%tag, error = %e, "the owed cancel was refused");
                events.push(EngineEvent::CancelFailed {
                    tag,
                    reason: e.to_string(),
                });
            }
        }
        events
    }
}

fn distinct_ids(reports: &[OrderReport]) -> Vec<String> {
    let mut ids: Vec<String> = reports.iter().map(|r| r.order_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}
