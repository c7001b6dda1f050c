//! Alerts on the trader's phone: a feed that fell back, a refused token, a rejected order, the day's summary,
//! sent to Telegram and/or a JSON webhook while dalal runs unattended.
//!
//! Everything dalal does already passes through the journal, so the alerts follow the journal (`Journal::watch`)
//! and touch nothing else: a task of their own maps entries to alerts (`event_mapping`, worded in `alert_text`),
//! keeps the events the trader chose (`[alerts]` in dalal.toml), holds them to `alerts.per_minute`, and hands
//! each to one `Courier` per channel (`delivery`). Trading never waits on any of it: the journal's broadcast
//! never blocks the recorder, and a slow or failing channel only delays its own queue. An alert that cannot be
//! delivered, or is dropped by the rate limit, is journaled as `alert_failed`, without the secrets.

mod alert_text;
mod delivery;
mod event_mapping;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use delivery::RetryPolicy;
use delivery::{Courier, StopBy};
pub use event_mapping::{Alert, AlertMapper};

use crate::calendar::Clock;
use crate::config::{AlertEvent, AlertSettings, AlertTargets};
use crate::journal::{Journal, JournalEntry, JournalEvent};

/// Alerts waiting for one channel beyond which new ones are dropped (and journaled): a channel down for long
/// during a storm of alerts.
const QUEUE_LIMIT: usize = 256;

/// The running alerts: a dispatcher following the journal, and one courier per channel.
pub struct AlertTask {
    stop: oneshot::Sender<()>,
    stop_by: watch::Sender<Option<Instant>>,
    dispatcher: JoinHandle<()>,
    couriers: Vec<JoinHandle<()>>,
}

impl AlertTask {
    /// Follows `journal` from now on and sends the chosen alerts to `targets`; `None` when no channel is set.
    /// `clock` times the `alert_failed` entries; `paper` marks the messages.
    pub fn start(
        settings: &AlertSettings,
        targets: &AlertTargets,
        journal: Journal,
        clock: Clock,
        paper: bool,
    ) -> Result<Option<AlertTask>, String> {
        Self::start_with(
            settings,
            targets,
            journal,
            clock,
            paper,
            RetryPolicy::default(),
        )
    }

    /// As `start`, with another retry policy (tests shorten its waits).
    pub fn start_with(
        settings: &AlertSettings,
        targets: &AlertTargets,
        journal: Journal,
        clock: Clock,
        paper: bool,
        policy: RetryPolicy,
    ) -> Result<Option<AlertTask>, String> {
        let mut couriers = Vec::new();
        if let Some(telegram) = &targets.telegram {
            let api = &settings.telegram_api;
            couriers.push(Courier::telegram(api, telegram, paper, policy.clone())?);
        }
        if let Some(webhook) = &targets.webhook {
            couriers.push(Courier::webhook(webhook, paper, policy)?);
        }
        if couriers.is_empty() {
            return Ok(None);
        }
        let failures = FailureLog { journal, clock };
        let (stop_by_sender, stop_by) = watch::channel(None);
        let mut queues = Vec::new();
        let mut handles = Vec::new();
        for courier in couriers {
            let (queue, waiting) = mpsc::channel(QUEUE_LIMIT);
            queues.push((courier.channel(), queue));
            let run = serve(courier, waiting, stop_by.clone(), failures.clone());
            handles.push(tokio::spawn(run));
        }
        let per_minute = NonZeroU32::new(settings.per_minute).unwrap_or(NonZeroU32::MIN);
        let dispatcher = Dispatcher {
            mapper: AlertMapper::new(paper),
            chosen: settings.events.clone(),
            limit: RateLimiter::direct(Quota::per_minute(per_minute)),
            per_minute,
            queues,
            failures: failures.clone(),
        };
        let (stop, stopped) = oneshot::channel();
        let watcher = failures.journal.watch();
        Ok(Some(AlertTask {
            stop,
            stop_by: stop_by_sender,
            dispatcher: tokio::spawn(dispatcher.run(watcher, stopped)),
            couriers: handles,
        }))
    }

    /// Sends what was recorded before this call and is still waiting, for at most `grace`; what cannot go by
    /// then is journaled as not delivered. Call it before the journal closes.
    pub async fn finish(self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let _ = self.stop_by.send(Some(deadline));
        let _ = self.stop.send(());
        let _ = self.dispatcher.await;
        for mut courier in self.couriers {
            // Requests are cut to the deadline; the margin covers a courier journaling what it could not send.
            let margin = deadline + Duration::from_secs(1);
            if tokio::time::timeout_at(margin, &mut courier).await.is_err() {
                courier.abort();
            }
        }
    }
}

struct Dispatcher {
    mapper: AlertMapper,
    chosen: BTreeSet<AlertEvent>,
    limit: DefaultDirectRateLimiter,
    per_minute: NonZeroU32,
    queues: Vec<(&'static str, mpsc::Sender<Alert>)>,
    failures: FailureLog,
}

impl Dispatcher {
    async fn run(
        mut self,
        mut watcher: broadcast::Receiver<Arc<JournalEvent>>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        loop {
            let received = tokio::select! {
                biased;
                received = watcher.recv() => received,
                _ = &mut stopped => break,
            };
            match received {
                Ok(event) => self.offer(&event),
                Err(RecvError::Lagged(missed)) => self.missed(missed),
                Err(RecvError::Closed) => return,
            }
        }
        // Stopping: what was recorded before the stop still goes out.
        loop {
            match watcher.try_recv() {
                Ok(event) => self.offer(&event),
                Err(TryRecvError::Lagged(missed)) => self.missed(missed),
                Err(_) => return,
            }
        }
    }

    fn offer(&mut self, event: &Arc<JournalEvent>) {
        let Some(alert) = self.mapper.map(event) else {
            return;
        };
        if !self.chosen.contains(&alert.event) {
            return;
        }
        if self.limit.check().is_err() {
            let channels: Vec<&str> = self.queues.iter().map(|(name, _)| *name).collect();
            let error = format!(
                "dropped by the rate limit: more than {} alerts in a minute (alerts.per_minute)",
                self.per_minute
            );
            self.failures
                .record(&channels.join("+"), alert.event.name(), error);
            return;
        }
        for (channel, queue) in &self.queues {
            if queue.try_send(alert.clone()).is_err() {
                let error = format!("dropped: {QUEUE_LIMIT} alerts already wait for this channel");
                self.failures.record(channel, alert.event.name(), error);
            }
        }
    }

    fn missed(&self, missed: u64) {
        let error = format!(
            "{missed} journal entries went by before the alerts could read them; any alert among them is lost"
        );
        self.failures.record("all", "unknown", error);
    }
}

/// One channel's courier at work: its queue in order, until the dispatcher is gone and the queue is empty.
async fn serve(
    courier: Courier,
    mut waiting: mpsc::Receiver<Alert>,
    mut stop_by: StopBy,
    failures: FailureLog,
) {
    while let Some(alert) = waiting.recv().await {
        match courier.deliver(&alert, &mut stop_by).await {
            Ok(tries) => tracing::debug!(
                channel = courier.channel(),
                event = alert.event.name(),
                tries,
                "alert delivered"
            ),
            Err(error) => failures.record(courier.channel(), alert.event.name(), error),
        }
    }
}

/// Where undelivered alerts are told: the log and the journal.
#[derive(Clone)]
struct FailureLog {
    journal: Journal,
    clock: Clock,
}

impl FailureLog {
    fn record(&self, channel: &str, event: &str, error: String) {
        tracing::warn!(channel, event, error = %error, "alert not delivered");
        self.journal.record(
            self.clock.now(),
            JournalEntry::AlertFailed {
                channel: channel.into(),
                event: event.into(),
                error,
            },
        );
    }
}
