//! The journal's writer: a thread of its own that owns the SQLite connection, so recording never blocks the
//! engine or the async runtime. Entries are committed in batches.
//!
//! What a crash can lose: entries sent but not yet committed, at most one batch interval (100 ms) of them.
//! `flush` (awaited, never blocking a runtime thread) returns once everything sent before it is committed; the
//! day runner flushes before reconciling, at the end of a session and after the close report.
//!
//! The queue is bounded for what may be lost: orders, fills, trades, checks, reconciliations and the other
//! records of what was done are always queued and kept; observations (tick summaries, signals, refusals, feed
//! states, errors) are dropped and counted once `QUEUE_LIMIT` wait, or while a failing journal holds
//! `QUEUE_LIMIT` unwritten. A journal that cannot write says why (`Journal::trouble`): the session stops new
//! entries and `/health` answers 503 until it writes again.
//!
//! Whoever wants to follow the day as it happens (the live page, the alerts) `watch`es the journal: every entry
//! recorded is also offered on a broadcast channel, without blocking and without cloning when nobody watches; a
//! watcher that falls behind loses the oldest, never slows the recorder.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use super::entry::JournalEntry;
use super::store::{JournalError, Store};

const BATCH_INTERVAL: Duration = Duration::from_millis(100);
const MAX_BATCH: usize = 512;
/// Observations queued or held unwritten beyond which new ones are dropped.
pub const QUEUE_LIMIT: usize = 20_000;

enum Message {
    Entry(DateTime<Utc>, bool, JournalEntry),
    Flush(tokio::sync::oneshot::Sender<Result<(), String>>),
    /// Commit and stop, even while other handles are still alive.
    Stop(mpsc::SyncSender<Result<(), String>>),
}

/// Entries a watcher may fall behind by before it loses the oldest.
const WATCH_CAPACITY: usize = 1024;

/// One entry as recorded, for watchers.
#[derive(Debug, Clone)]
pub struct JournalEvent {
    pub at: DateTime<Utc>,
    pub entry: JournalEntry,
}

/// What the writer and every handle share.
struct Shared {
    /// Entries sent and not yet committed.
    unwritten: AtomicUsize,
    dropped: AtomicU64,
    /// Why the last commit failed, until one succeeds.
    trouble: Mutex<Option<String>>,
    watchers: broadcast::Sender<Arc<JournalEvent>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            unwritten: AtomicUsize::default(),
            dropped: AtomicU64::default(),
            trouble: Mutex::default(),
            watchers: broadcast::channel(WATCH_CAPACITY).0,
        }
    }
}

/// A handle for recording; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    sender: Sender<Message>,
    paper: bool,
    shared: Arc<Shared>,
}

pub struct JournalWriter {
    journal: Journal,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    /// Opens (creating and migrating) the journal at `path`; `paper` marks every entry written through it.
    pub fn open(path: &Path, paper: bool) -> Result<JournalWriter, JournalError> {
        let store = Store::open(path)?;
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let writer_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || write_loop(store, receiver, &writer_shared))
            .map_err(|_| JournalError::WriterGone)?;
        Ok(JournalWriter {
            journal: Journal {
                sender,
                paper,
                shared,
            },
            thread: Some(thread),
        })
    }

    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Commits everything and stops the writer; entries recorded afterwards through other handles are
    /// refused (and logged).
    pub fn close(mut self) -> Result<(), JournalError> {
        let (done, wait) = mpsc::sync_channel(1);
        let result = self
            .journal
            .sender
            .send(Message::Stop(done))
            .map_err(|_| JournalError::WriterGone)
            .and_then(|()| answer(wait.recv().ok()));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        result
    }
}

impl Journal {
    /// Records an entry; never blocks. An observation is dropped (and counted) when the queue is full.
    pub fn record(&self, at: DateTime<Utc>, entry: JournalEntry) {
        let unwritten = self.shared.unwritten.load(Ordering::Relaxed);
        if unwritten >= QUEUE_LIMIT && entry.is_observation() {
            let dropped = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    unwritten,
                    "the journal is behind: observations are dropped (orders, fills and checks never are)"
                );
            }
            return;
        }
        if self.shared.watchers.receiver_count() > 0 {
            let event = JournalEvent {
                at,
                entry: entry.clone(),
            };
            let _ = self.shared.watchers.send(Arc::new(event));
        }
        self.shared.unwritten.fetch_add(1, Ordering::Relaxed);
        if self
            .sender
            .send(Message::Entry(at, self.paper, entry))
            .is_err()
        {
            self.shared.unwritten.fetch_sub(1, Ordering::Relaxed);
            let mut trouble = self
                .shared
                .trouble
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if trouble.is_none() {
                tracing::error!("the journal writer stopped; entries are no longer recorded");
            }
            *trouble = Some("the journal writer stopped".into());
        }
    }

    /// Blocks (outside any async runtime) until everything recorded so far is committed. A backtest records
    /// far faster than a live day and waits here, so that nothing it records is shed as an observation.
    pub fn flush_blocking(&self) -> Result<(), JournalError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.sender
            .send(Message::Flush(done))
            .map_err(|_| JournalError::WriterGone)?;
        answer(wait.blocking_recv().ok())
    }

    /// Entries recorded and not yet committed.
    pub fn unwritten(&self) -> usize {
        self.shared.unwritten.load(Ordering::Relaxed)
    }

    /// Waits, without blocking the runtime, until everything recorded so far is committed.
    pub async fn flush(&self) -> Result<(), JournalError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.sender
            .send(Message::Flush(done))
            .map_err(|_| JournalError::WriterGone)?;
        answer(wait.await.ok())
    }

    /// Every entry recorded from now on, as it is recorded (see the module's note on falling behind).
    pub fn watch(&self) -> broadcast::Receiver<Arc<JournalEvent>> {
        self.shared.watchers.subscribe()
    }

    /// Why the journal cannot write, while it cannot.
    pub fn trouble(&self) -> Option<String> {
        self.shared
            .trouble
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Observations dropped so far because the journal was behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

fn answer(result: Option<Result<(), String>>) -> Result<(), JournalError> {
    match result {
        Some(Ok(())) => Ok(()),
        Some(Err(message)) => Err(JournalError::WriteFailed(message)),
        None => Err(JournalError::WriterGone),
    }
}

fn write_loop(mut store: Store, receiver: Receiver<Message>, shared: &Shared) {
    let mut batch = Vec::new();
    let mut last_commit = Instant::now();
    loop {
        let (flush, stop) = match receiver.recv_timeout(BATCH_INTERVAL) {
            Ok(Message::Entry(at, paper, entry)) => {
                batch.push((at, paper, entry));
                (None, false)
            }
            Ok(Message::Flush(done)) => (Some(Done::Flush(done)), false),
            Ok(Message::Stop(done)) => (Some(Done::Stop(done)), true),
            Err(RecvTimeoutError::Timeout) => (None, false),
            Err(RecvTimeoutError::Disconnected) => (None, true),
        };
        let due = flush.is_some()
            || stop
            || batch.len() >= MAX_BATCH
            || last_commit.elapsed() >= BATCH_INTERVAL;
        let mut result = Ok(());
        if due && !batch.is_empty() {
            // On failure the batch is kept and retried with the next one; only observations beyond the limit go.
            result = store.append(&batch).map_err(|e| e.to_string());
            let mut trouble = shared.trouble.lock().unwrap_or_else(|p| p.into_inner());
            match &result {
                Ok(()) => {
                    shared.unwritten.fetch_sub(batch.len(), Ordering::Relaxed);
                    batch.clear();
                    if trouble.take().is_some() {
                        tracing::warn!("the journal writes again; entries may resume");
                    }
                }
                Err(e) => {
                    if trouble.is_none() {
                        tracing::error!(
                            error = %e,
                            "the journal cannot write: new entries stop and /health answers 503 until it \
                             can; positions stay guarded. Check the disk and the journal file"
                        );
                    }
                    *trouble = Some(e.clone());
                    shed_observations(&mut batch, shared);
                }
            }
            last_commit = Instant::now();
        }
        match flush {
            Some(Done::Flush(done)) => {
                let _ = done.send(result);
            }
            Some(Done::Stop(done)) => {
                let _ = done.send(result);
            }
            None => {}
        }
        if stop {
            return;
        }
    }
}

enum Done {
    Flush(tokio::sync::oneshot::Sender<Result<(), String>>),
    Stop(mpsc::SyncSender<Result<(), String>>),
}

type Batch = Vec<(DateTime<Utc>, bool, JournalEntry)>;

/// Drops the oldest observations of a batch the journal could not write beyond `QUEUE_LIMIT`, counting them.
fn shed_observations(batch: &mut Batch, shared: &Shared) {
    let mut excess = batch.len().saturating_sub(QUEUE_LIMIT);
    if excess == 0 {
        return;
    }
    let before = batch.len();
    batch.retain(|(_, _, entry)| {
        let shed = excess > 0 && entry.is_observation();
        excess -= usize::from(shed);
        !shed
    });
    let shed = before - batch.len();
    shared.unwritten.fetch_sub(shed, Ordering::Relaxed);
    shared.dropped.fetch_add(shed as u64, Ordering::Relaxed);
}
