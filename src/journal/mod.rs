//! The trade journal: everything the bot saw and did, in SQLite (WAL), append-only, the source of every report.
//!
//! `JournalWriter` owns the file on a thread of its own; the rest of the bot records through cheap `Journal`
//! handles that never block. `Store` reads the log back for reports and restarts. Beside it, each day's
//! recording keeps every event the engine was given, for `dalal replay`.

mod entry;
mod recording;
mod recording_format;
mod schema;
mod store;
mod writer;

pub use entry::{JournalEntry, Recorded};
pub use recording::{Recorder, read_recording, recording_path, recordings_folder};
pub use recording_format::EngineInput;
pub use schema::{MigrationError, migrate};
pub use store::{JournalError, Store};
pub use writer::{Journal, JournalEvent, JournalWriter, QUEUE_LIMIT};
