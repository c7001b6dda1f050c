//! The day's recording on disk (`recording_format` says what is in it): one file per trading day beside the
//! journal, `<journal>.recordings/YYYY-MM-DD.rec`, appended to by a thread of its own so the session never waits
//! on the disk. A restart the same day appends its own session to the day's file.
//!
//! What a crash can lose: the records not yet written from the thread's buffer (it writes every 64 KB and at the
//! end of the session). A cut-off last record ends the file when it is read.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use chrono::NaiveDate;

use super::recording_format::{self, EngineInput, MAGIC, RecordingError};
use crate::engine::EngineEvent;

/// Where the recording of `date` lives for the journal at `journal`.
pub fn recording_path(journal: &Path, date: NaiveDate) -> PathBuf {
    let mut folder = journal.as_os_str().to_owned();
    folder.push(".recordings");
    PathBuf::from(folder).join(format!("{date}.rec"))
}

/// Every input the recording at `path` holds, in order.
pub fn read_recording(path: &Path) -> Result<Vec<EngineInput>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    recording_format::decode(&bytes).map_err(|e: RecordingError| format!("{}: {e}", path.display()))
}

/// Records a session's engine events; `off` records nothing.
pub struct Recorder {
    sender: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    pub fn off() -> Recorder {
        Recorder {
            sender: None,
            thread: None,
        }
    }

    /// Appends to the recording at `path`, creating it (and its folder) if need be.
    pub fn append_to(path: &Path) -> std::io::Result<Recorder> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        if file.metadata()?.len() == 0 {
            file.write_all(MAGIC)?;
        }
        let (sender, records) = mpsc::channel::<Vec<u8>>();
        let name = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("recording".into())
            .spawn(move || write_loop(BufWriter::with_capacity(64 * 1024, file), records, &name))?;
        Ok(Recorder {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Queues `event`'s record; never blocks.
    pub fn record(&self, event: &EngineEvent) {
        if let Some(sender) = &self.sender {
            let mut record = Vec::with_capacity(80);
            recording_format::encode_event(event, &mut record);
            let _ = sender.send(record);
        }
    }

    /// Queues the record of an input that is not an event (a late start's candles, a restart's fills).
    pub fn record_input(&self, input: &EngineInput) {
        if let Some(sender) = &self.sender {
            let mut record = Vec::with_capacity(80);
            recording_format::encode(input, &mut record);
            let _ = sender.send(record);
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

fn write_loop(mut file: BufWriter<File>, records: mpsc::Receiver<Vec<u8>>, name: &str) {
    let mut failed = false;
    for record in records {
        if let Err(e) = file.write_all(&record) {
            if !failed {
                tracing::error!(error = %e, file = name, "the day's recording cannot be written; trading goes on");
            }
            failed = true;
        }
    }
    if let Err(e) = file.flush() {
        tracing::error!(error = %e, file = name, "the day's recording could not be finished");
    }
}
