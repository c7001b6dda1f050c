//! The day's recording on disk (`recording_format` says what is in it): one file per trading day beside the
//! journal, `<journal>.recordings/YYYY-MM-DD.rec`, appended to by a thread of its own so the session never waits
//! on the disk. A restart the same day appends its own session to the day's file.
//!
//! What a crash can lose: the records not yet written from the thread's buffer (it writes every 64 KB and at the
//! end of the session). A cut-off last record ends the file when it is read.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;

use chrono::NaiveDate;

use super::recording_format::{self, EngineInput, MAGIC, RecordingError};
use crate::engine::EngineEvent;

/// The folder of the days' recordings for the journal at `journal`.
pub fn recordings_folder(journal: &Path) -> PathBuf {
    let mut folder = journal.as_os_str().to_owned();
    folder.push(".recordings");
    PathBuf::from(folder)
}

/// Where the recording of `date` lives for the journal at `journal`.
pub fn recording_path(journal: &Path, date: NaiveDate) -> PathBuf {
    recordings_folder(journal).join(format!("{date}.rec"))
}

/// Every input the recording at `path` holds, in order.
pub fn read_recording(path: &Path) -> Result<Vec<EngineInput>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    recording_format::decode(&bytes).map_err(|e: RecordingError| format!("{}: {e}", path.display()))
}

/// Records queued for the disk beyond which new ones are dropped (and counted) rather than held in memory.
const QUEUE: usize = 100_000;

/// Records a session's engine events; `off` records nothing.
pub struct Recorder {
    sender: Option<SyncSender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
    dropped: AtomicU64,
}

impl Recorder {
    pub fn off() -> Recorder {
        Recorder {
            sender: None,
            thread: None,
            dropped: AtomicU64::new(0),
        }
    }

    /// Appends to the recording at `path`, creating it (and its folder) if need be.
    pub fn append_to(path: &Path) -> std::io::Result<Recorder> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        // A run killed mid-write left part of a record: it goes, so this session's records read after it.
        let existing = std::fs::read(path)?;
        if existing.is_empty() {
            file.write_all(MAGIC)?;
        } else {
            file.set_len(recording_format::whole_records(&existing) as u64)?;
        }
        let (sender, records) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let name = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("recording".into())
            .spawn(move || write_loop(BufWriter::with_capacity(64 * 1024, file), records, &name))?;
        Ok(Recorder {
            sender: Some(sender),
            thread: Some(thread),
            dropped: AtomicU64::new(0),
        })
    }

    /// Queues `event`'s record; never blocks.
    pub fn record(&self, event: &EngineEvent) {
        if self.sender.is_some() {
            let mut record = Vec::with_capacity(80);
            recording_format::encode_event(event, &mut record);
            self.queue(record);
        }
    }

    /// Queues the record of an input that is not an event (a session's start, a late start's candles).
    pub fn record_input(&self, input: &EngineInput) {
        if self.sender.is_some() {
            let mut record = Vec::with_capacity(80);
            recording_format::encode(input, &mut record);
            self.queue(record);
        }
    }

    fn queue(&self, record: Vec<u8>) {
        let Some(sender) = &self.sender else { return };
        if let Err(TrySendError::Full(_)) = sender.try_send(record) {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    "the disk is behind: the day's recording drops records"
                );
            }
        }
    }
}

impl Drop for Recorder {
    /// Writes out what is queued before the session's end is reported.
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes records until the session ends; after a failed write (which may have left part of a record) it
/// stops, so what the file holds stays readable.
fn write_loop(mut file: BufWriter<File>, records: mpsc::Receiver<Vec<u8>>, name: &str) {
    for record in records {
        if let Err(e) = file.write_all(&record) {
            tracing::error!(error = %e, file = name, "the day's recording cannot be written: it stops here; trading goes on");
            return;
        }
    }
    if let Err(e) = file.flush() {
        tracing::error!(error = %e, file = name, "the day's recording could not be finished");
    }
}
