//! The order task: the one place that waits on the broker for orders, so the session loop never does.
//!
//! The session hands it the engine's order commands over a channel and goes straight back to prices, timers and
//! stop checks; the desk carries the commands out in order through the `Executor` (a submit that hangs waits out
//! its timeout and its lookups here, not in the loop), polls the order book on its own cadence, and sends back
//! what happened as `DeskReport`s. Neither channel is bounded: an order command is never dropped or delayed by a
//! full queue, and the engine's risk limits bound how many there are.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio::sync::mpsc;

use super::executor::{Executor, SubmitOutcome};
use super::order_lifecycle::OrderTransition;
use crate::broker::{BrokerError, OrderBroker, SkippedRow};
use crate::calendar::Clock;
use crate::domain::OrderTag;
use crate::engine::{ApprovedOrder, EngineEvent};

/// How often the order book is polled for fills while any order of ours works, in session time.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What the session asks of the desk.
#[derive(Debug)]
pub enum DeskRequest {
    Place(ApprovedOrder),
    Modify(ApprovedOrder),
    Cancel(OrderTag),
}

/// What the desk did, in the order it did it.
#[derive(Debug)]
pub enum DeskReport {
    /// A submit finished: its outcome, how long the broker took, and what the engine must hear of it.
    Placed {
        order: ApprovedOrder,
        outcome: SubmitOutcome,
        took: Duration,
        events: Vec<EngineEvent>,
    },
    Modified {
        order: ApprovedOrder,
        result: Result<(), BrokerError>,
    },
    CancelFailed {
        tag: OrderTag,
        error: BrokerError,
    },
    /// Orders of ours that moved from one state to another (see `OrderLifecycle`), for the journal.
    Transitions(Vec<OrderTransition>),
    /// An order-book poll: fills and ends for the engine, and whether any order of ours still works.
    Synced {
        result: Result<Vec<EngineEvent>, BrokerError>,
        working: bool,
        /// Rows of the broker's lists its client could not read since the last poll, to be journaled.
        skipped_rows: Vec<SkippedRow>,
    },
}

/// The session's side of the desk.
pub struct OrderDesk {
    requests: mpsc::UnboundedSender<DeskRequest>,
    reports: mpsc::UnboundedReceiver<DeskReport>,
}

impl OrderDesk {
    /// Starts the desk's task around `executor`; it ends when the `OrderDesk` is dropped and the request in hand
    /// is done.
    pub fn start<B: OrderBroker>(executor: Executor<B>, clock: Clock) -> OrderDesk {
        let (requests, request_rx) = mpsc::unbounded_channel();
        let (report_tx, reports) = mpsc::unbounded_channel();
        tokio::spawn(serve(executor, clock, request_rx, report_tx));
        OrderDesk { requests, reports }
    }

    /// Hands a request over; never waits.
    pub fn send(&self, request: DeskRequest) {
        if self.requests.send(request).is_err() {
            tracing::error!("the order desk has stopped; an order command was not carried out");
        }
    }

    /// The next report; `None` once the desk has stopped.
    pub async fn next_report(&mut self) -> Option<DeskReport> {
        self.reports.recv().await
    }
}

async fn serve<B: OrderBroker>(
    mut executor: Executor<B>,
    clock: Clock,
    mut requests: mpsc::UnboundedReceiver<DeskRequest>,
    reports: mpsc::UnboundedSender<DeskReport>,
) {
    let every = TimeDelta::from_std(SYNC_EVERY).expect("a small duration");
    let mut next_sync = clock.now();
    loop {
        let report = tokio::select! {
            request = requests.recv() => match request {
                Some(request) => carry_out(&mut executor, request).await,
                None => return,
            },
            _ = clock.sleep_until(next_sync) => {
                next_sync = clock.now() + every;
                let result = if executor.has_working_orders() {
                    executor.sync().await
                } else {
                    Ok(Vec::new())
                };
                Some(DeskReport::Synced {
                    result,
                    working: executor.has_working_orders(),
                    skipped_rows: executor.take_skipped_rows(),
                })
            }
        };
        // The steps of each order's life come first, whether or not the request has more to report.
        let transitions = executor.take_transitions();
        if !transitions.is_empty() && reports.send(DeskReport::Transitions(transitions)).is_err() {
            return;
        }
        if let Some(report) = report
            && reports.send(report).is_err()
        {
            return;
        }
    }
}

/// Carries out one request; a cancel the broker took has nothing to report (its end comes with a poll).
async fn carry_out<B: OrderBroker>(
    executor: &mut Executor<B>,
    request: DeskRequest,
) -> Option<DeskReport> {
    Some(match request {
        DeskRequest::Place(order) => {
            let sent = Instant::now();
            let (outcome, events) = executor.submit(&order).await;
            DeskReport::Placed {
                order,
                outcome,
                took: sent.elapsed(),
                events,
            }
        }
        DeskRequest::Modify(order) => {
            let result = executor.modify(&order).await;
            DeskReport::Modified { order, result }
        }
        DeskRequest::Cancel(tag) => {
            let error = executor.cancel(&tag).await.err()?;
            DeskReport::CancelFailed { tag, error }
        }
    })
}
