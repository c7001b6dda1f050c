//! Restart safety around a day's session: today's journal against the broker before trading (and once more
//! after the close), the cancels of what a previous run left working, confirmed before trading, and what
//! becomes of orders the broker will not end (followed as this run's own). Also the price check retried in the
//! session when a restart with open positions had to start with entries off.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};
use tokio::sync::watch;

use super::{CHECK_RETRY_IN_SESSION, DayRunner, record_check};
use crate::broker::{AccountBroker, FeedBroker, OrderBroker, OrderReport};
use crate::calendar::ist_instant;
use crate::journal::JournalEntry;
use crate::runner::pre_open::{self, CheckResult};
use crate::runner::reconcile::Reconciled;

/// How long the orders a restart cancels may take to show as ended; those still working then are followed as
/// this run's own, or keep new entries off when this run cannot account for them.
const CANCEL_CONFIRM_WITHIN: Duration = Duration::from_secs(30);

/// What became of the orders a restart cancelled.
#[derive(Default)]
pub(super) struct CancelOutcome {
    /// One of them filled (more) after the reconciliation read the book.
    pub(super) filled_meanwhile: bool,
    /// Those the broker still showed working at the deadline, as it last reported them.
    pub(super) still_working: Vec<OrderReport>,
}

impl<F: FeedBroker, O: OrderBroker, A: AccountBroker> DayRunner<F, O, A> {
    /// Today's journal, flushed first, against the broker.
    pub(super) async fn reconcile_today(
        &self,
        date: NaiveDate,
    ) -> (CheckResult, Option<Reconciled>) {
        if let Err(e) = self.journal.flush().await {
            tracing::error!(error = %e, "the journal could not be flushed before reconciliation");
        }
        let brokers = &self.brokers;
        let day = (
            date,
            ist_instant(date, chrono::NaiveTime::MIN),
            self.clock.now(),
        );
        pre_open::check_reconciliation(
            &self.options.journal_path,
            brokers.paper.is_some(),
            day,
            brokers.orders.as_ref(),
            brokers.account.as_ref(),
            &brokers.keys,
            self.config.strategy.exit.protective_stop,
        )
        .await
    }

    /// Journals what reconciliation did and cancels our orders left working by a previous run.
    pub(super) async fn apply_reconciliation(&mut self, reconciled: &Reconciled) -> CancelOutcome {
        let now = self.clock.now();
        for action in &reconciled.actions {
            tracing::info!("reconciliation: {action}");
            self.journal.record(
                now,
                JournalEntry::Reconciliation {
                    action: "restored".into(),
                    detail: action.clone(),
                },
            );
        }
        for fill in &reconciled.missing_fills {
            self.journal.record(now, JournalEntry::from(fill));
        }
        let mut sent = Vec::new();
        let mut refused = Vec::new();
        for order in &reconciled.working_orders {
            match self.brokers.orders.cancel(&order.order_id).await {
                Ok(()) => sent.push(order.clone()),
                Err(e) => {
                    tracing::warn!(order = %order.order_id, error = %e, "could not cancel an order left working");
                    refused.push(order.clone());
                }
            }
        }
        // A refused cancel is not waited for: the order works on, and the sooner it is followed the shorter
        // the time the restored positions wait for their stop monitor.
        let mut outcome = self.confirm_cancels(&sent).await;
        outcome.still_working.extend(refused);
        outcome
    }

    /// Polls the order book until every order cancelled at the restart has ended, or `CANCEL_CONFIRM_WITHIN`
    /// passes: trading does not start on a book that may still fill.
    pub(super) async fn confirm_cancels(&self, cancelled: &[OrderReport]) -> CancelOutcome {
        let deadline = self.clock.now()
            + TimeDelta::from_std(CANCEL_CONFIRM_WITHIN).expect("a small duration");
        let mut outcome = CancelOutcome::default();
        let mut pending: Vec<OrderReport> = cancelled.to_vec();
        while !pending.is_empty() {
            if let Ok(book) = self.brokers.orders.order_book().await {
                pending.retain_mut(|order| {
                    let Some(now) = book.iter().find(|r| r.order_id == order.order_id) else {
                        return true;
                    };
                    outcome.filled_meanwhile |= now.filled_quantity > order.filled_quantity;
                    *order = now.clone();
                    !now.state.is_final()
                });
            }
            if pending.is_empty() || self.clock.now() >= deadline {
                break;
            }
            self.clock.sleep(Duration::from_secs(1)).await;
        }
        outcome.still_working = pending;
        outcome
    }

    /// Orders whose cancel did not end them are followed as this run's own where it can account for them (see
    /// `left_working`); the check fails, and new entries stay off, when any is left that it cannot.
    pub(super) fn follow_left_working(
        &self,
        reconciled: &mut Reconciled,
        still_working: Vec<OrderReport>,
    ) -> CheckResult {
        let before = reconciled.actions.len();
        let unaccounted = reconciled.follow_left_working(still_working, &self.brokers.keys);
        let now = self.clock.now();
        for action in &reconciled.actions[before..] {
            tracing::warn!("reconciliation: {action}");
            self.journal.record(
                now,
                JournalEntry::Reconciliation {
                    action: "followed".into(),
                    detail: action.clone(),
                },
            );
        }
        let check = if unaccounted.is_empty() {
            CheckResult::pass(
                "cancels",
                format!(
                    "{} order(s) left working by the previous run did not end after their cancel; followed as \
                     this run's own",
                    reconciled.actions.len() - before
                ),
            )
        } else {
            let ids: Vec<&str> = unaccounted.iter().map(|o| o.order_id.as_str()).collect();
            CheckResult::fail(
                "cancels",
                format!(
                    "orders left working by the previous run did not end after their cancel, and dalal cannot \
                     account for them: {}",
                    ids.join(", ")
                ),
                "new entries stay off today; cancel them at the broker, then restart",
            )
        };
        self.record_check(&check);
        check
    }

    /// Runs the price check every `CHECK_RETRY_IN_SESSION` until it passes, then opens `entries` and says so.
    pub(super) fn price_recheck(
        &self,
        until: String,
        entries: watch::Sender<bool>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (feed, keys) = (Arc::clone(&self.brokers.feed), self.brokers.keys.clone());
        let (clock, journal, status) = (
            self.clock.clone(),
            self.journal.clone(),
            Arc::clone(&self.status),
        );
        async move {
            loop {
                clock.sleep(CHECK_RETRY_IN_SESSION).await;
                let check = pre_open::check_prices(feed.as_ref(), &keys).await;
                if check.passed {
                    record_check(&journal, clock.now(), &check);
                    status.set_phase("session", until);
                    let _ = entries.send(true);
                    return;
                }
            }
        }
    }

    /// After the close: today's journal against the broker once more; differences are journaled for the trader.
    pub(super) async fn final_reconciliation(&mut self, date: NaiveDate) {
        let (check, reconciled) = self.reconcile_today(date).await;
        let open = reconciled.map_or(0, |r| r.restoration.guards.len());
        let detail = if open == 0 {
            format!("at the close: {}", check.detail)
        } else {
            format!(
                "at the close: {open} position(s) still open (the broker squares off intraday positions): {}",
                check.detail
            )
        };
        self.journal.record(
            self.clock.now(),
            JournalEntry::Reconciliation {
                action: if check.passed { "checked" } else { "mismatch" }.into(),
                detail,
            },
        );
    }
}
