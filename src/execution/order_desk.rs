//! The order task: the one place that waits on the broker for orders, so the session loop never does.
//!
//! The session hands it the engine's order commands over a channel and goes straight back to prices, timers and
//! stop checks; the desk carries the commands out in order through the `Executor` (a submit that hangs waits out
//! its timeout and its lookups here, not in the loop), polls the order book on its own cadence, and sends back
//! what happened as `DeskReport`s. Where the broker pushes order updates (`order_stream`), a fill reaches the
//! engine as it happens and the book poll slows to a cross-check every `CROSS_CHECK_EVERY`; while the stream is
//! refused, dropped or silent the book is polled every `SYNC_EVERY` again. No channel is bounded: an order
//! command is never dropped or delayed by a full queue, and the engine's risk limits bound how many there are.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio::sync::mpsc;

use super::executor::{Executor, SubmitOutcome};
use super::order_lifecycle::OrderTransition;
use super::order_stream::{StreamNews, follow_order_stream};
use crate::broker::{BrokerError, KillSwitchOutcome, OrderBroker, SkippedRow};
use crate::calendar::Clock;
use crate::domain::{Exchange, OrderTag};
use crate::engine::{ApprovedOrder, EngineEvent};

/// How often the order book is polled for fills while any order of ours works, in session time.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
/// How often the order book is polled while the order stream is up: a cross-check for an update it missed.
pub const CROSS_CHECK_EVERY: Duration = Duration::from_secs(5);

/// What the session asks of the desk.
#[derive(Debug)]
pub enum DeskRequest {
    Place(ApprovedOrder),
    Modify(ApprovedOrder),
    Cancel(OrderTag),
    KillSwitch(Vec<Exchange>),
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
    /// The kill switch was asked for: what the broker now shows, or why it refused.
    KillSwitch(Result<KillSwitchOutcome, BrokerError>),
    /// Orders of ours that moved from one state to another (see `OrderLifecycle`), for the journal.
    Transitions(Vec<OrderTransition>),
    /// The broker's order stream came up (`down` is `None`) or went down, and why.
    OrderStream {
        down: Option<String>,
    },
    /// An order-book poll or a streamed update: fills and ends for the engine, and whether any order of ours
    /// still works.
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
        let stream = follow_order_stream(executor.broker(), clock.clone());
        tokio::spawn(serve(executor, clock, request_rx, stream, report_tx));
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
    stream: mpsc::UnboundedReceiver<StreamNews>,
    reports: mpsc::UnboundedSender<DeskReport>,
) {
    let mut stream = Some(stream);
    let mut streaming = false;
    let mut next_sync = clock.now();
    loop {
        let report = tokio::select! {
            request = requests.recv() => match request {
                Some(request) => carry_out(&mut executor, request).await,
                None => return,
            },
            news = next_news(&mut stream) => match news {
                Some(StreamNews::Report(report)) => {
                    let events = executor.on_streamed(report).await;
                    Some(synced(&executor, Ok(events)))
                }
                Some(StreamNews::Missed) => {
                    next_sync = clock.now();
                    None
                }
                // Up or down, the book is read now: what moved while the stream was away is caught.
                Some(StreamNews::Up) => {
                    streaming = true;
                    next_sync = clock.now();
                    Some(DeskReport::OrderStream { down: None })
                }
                Some(StreamNews::Down(why)) => {
                    streaming = false;
                    next_sync = clock.now();
                    Some(DeskReport::OrderStream { down: Some(why) })
                }
                // No stream at this broker, or its task ended: polling it is.
                None => {
                    stream = None;
                    streaming = false;
                    None
                }
            },
            _ = clock.sleep_until(next_sync) => {
                let every = if streaming { CROSS_CHECK_EVERY } else { SYNC_EVERY };
                next_sync = clock.now() + TimeDelta::from_std(every).expect("a small duration");
                let result = if executor.has_working_orders() {
                    executor.sync().await
                } else {
                    Ok(Vec::new())
                };
                Some(synced(&executor, result))
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

fn synced<B: OrderBroker>(
    executor: &Executor<B>,
    result: Result<Vec<EngineEvent>, BrokerError>,
) -> DeskReport {
    DeskReport::Synced {
        result,
        working: executor.has_working_orders(),
        skipped_rows: executor.take_skipped_rows(),
    }
}

/// The stream's next news; never, once there is no stream.
async fn next_news(stream: &mut Option<mpsc::UnboundedReceiver<StreamNews>>) -> Option<StreamNews> {
    match stream {
        Some(stream) => stream.recv().await,
        None => std::future::pending().await,
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
        DeskRequest::KillSwitch(exchanges) => {
            DeskReport::KillSwitch(executor.kill_switch(&exchanges).await)
        }
        DeskRequest::Cancel(tag) => {
            let error = executor.cancel(&tag).await.err()?;
            DeskReport::CancelFailed { tag, error }
        }
    })
}
