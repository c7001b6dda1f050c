//! The trade journal: everything the bot saw and did, in SQLite (WAL), append-only, the source of every report.
//!
//! `JournalWriter` owns the file on a thread of its own; the rest of the bot records through cheap `Journal`
//! handles that never block. `Store` reads the log back for reports and restarts.

mod entry;
mod store;
mod writer;

pub use entry::{JournalEntry, Recorded};
pub use store::{JournalError, Store};
pub use writer::{Journal, JournalEvent, JournalWriter, QUEUE_LIMIT};
