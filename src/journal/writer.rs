//! The journal's writer: a thread of its own that owns the SQLite connection, so recording never blocks the
//! engine or the async runtime. Entries go through an unbounded channel and are committed in batches.
//!
//! What a crash can lose: entries sent but not yet committed, at most one batch interval (100 ms) of them.
//! `flush` returns once everything sent before it is committed; the day runner flushes at every state change
//! that matters (orders, fills, shutdown).

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::entry::JournalEntry;
use super::store::{JournalError, Store};

const BATCH_INTERVAL: Duration = Duration::from_millis(100);
const MAX_BATCH: usize = 512;

enum Message {
    Entry(DateTime<Utc>, bool, JournalEntry),
    Flush(mpsc::SyncSender<Result<(), String>>),
    /// Commit and stop, even while other handles are still alive.
    Stop(mpsc::SyncSender<Result<(), String>>),
}

/// A handle for recording; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    sender: Sender<Message>,
    paper: bool,
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
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || write_loop(store, receiver))
            .map_err(|_| JournalError::WriterGone)?;
        Ok(JournalWriter {
            journal: Journal { sender, paper },
            thread: Some(thread),
        })
    }

    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Commits everything and stops the writer; entries recorded afterwards through other handles are
    /// refused (and logged).
    pub fn close(mut self) -> Result<(), JournalError> {
        let result = self.journal.request(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        result
    }
}

impl Journal {
    /// Records an entry; never blocks.
    pub fn record(&self, at: DateTime<Utc>, entry: JournalEntry) {
        if self
            .sender
            .send(Message::Entry(at, self.paper, entry))
            .is_err()
        {
            tracing::error!("journal writer stopped; an entry was not recorded");
        }
    }

    /// Waits until everything recorded so far is committed.
    pub fn flush(&self) -> Result<(), JournalError> {
        self.request(Message::Flush)
    }

    fn request(
        &self,
        message: fn(mpsc::SyncSender<Result<(), String>>) -> Message,
    ) -> Result<(), JournalError> {
        let (done, wait) = mpsc::sync_channel(1);
        self.sender
            .send(message(done))
            .map_err(|_| JournalError::WriterGone)?;
        match wait.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(JournalError::WriteFailed(message)),
            Err(_) => Err(JournalError::WriterGone),
        }
    }
}

fn write_loop(mut store: Store, receiver: Receiver<Message>) {
    let mut batch = Vec::new();
    let mut last_commit = Instant::now();
    loop {
        let (flush, stop) = match receiver.recv_timeout(BATCH_INTERVAL) {
            Ok(Message::Entry(at, paper, entry)) => {
                batch.push((at, paper, entry));
                (None, false)
            }
            Ok(Message::Flush(done)) => (Some(done), false),
            Ok(Message::Stop(done)) => (Some(done), true),
            Err(RecvTimeoutError::Timeout) => (None, false),
            Err(RecvTimeoutError::Disconnected) => (None, true),
        };
        let due = flush.is_some()
            || stop
            || batch.len() >= MAX_BATCH
            || last_commit.elapsed() >= BATCH_INTERVAL;
        let mut result = Ok(());
        if due && !batch.is_empty() {
            // On failure the batch is kept and retried with the next one: nothing is dropped.
            result = store.append(&batch).map_err(|e| e.to_string());
            match &result {
                Ok(()) => batch.clear(),
                Err(e) => tracing::error!(error = %e, "journal write failed; will retry"),
            }
            last_commit = Instant::now();
        }
        if let Some(done) = flush {
            let _ = done.send(result);
        }
        if stop {
            return;
        }
    }
}
