//! The SQLite file behind the journal: schema versions, the append-only insert, and the reads reports need.
//!
//! Durability: WAL mode with `synchronous = NORMAL`. A batch is one transaction; a committed batch survives a
//! crash of the process (and, with WAL, of the machine up to the last checkpointed or synced frame), and a batch
//! cut off by a crash is rolled back whole, never half-written.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::entry::{JournalEntry, Recorded};
use super::schema::{MigrationError, migrate};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "journal {path}: schema version {found} is newer than this dalal knows ({known}); upgrade dalal"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("journal {path}: entry {seq} is unreadable: {message}")]
    Corrupt {
        path: String,
        seq: i64,
        message: String,
    },
    #[error("journal: the writer stopped")]
    WriterGone,
    #[error("journal: a write failed and will be retried: {0}")]
    WriteFailed(String),
}

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &["CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        instrument TEXT,
        paper INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_kind_at ON events(kind, at);"];

pub struct Store {
    connection: Connection,
    path: String,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, JournalError> {
        let name = path.display().to_string();
        let wrap = |source| JournalError::Sqlite {
            path: name.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let connection = Connection::open(path).map_err(wrap)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(wrap)?;
        let mut store = Store {
            connection,
            path: name,
        };
        store.migrate()?;
        Ok(store)
    }

    fn wrap(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        migrate(&mut self.connection, MIGRATIONS).map_err(|e| match e {
            MigrationError::Sqlite(source) => self.wrap(source),
            MigrationError::Newer { found, known } => JournalError::NewerSchema {
                path: self.path.clone(),
                found,
                known,
            },
        })
    }

    /// Appends a batch in one transaction: all of it is stored, or none of it.
    pub fn append(
        &mut self,
        batch: &[(DateTime<Utc>, bool, JournalEntry)],
    ) -> Result<(), JournalError> {
        let path = self.path.clone();
        let wrap = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(wrap)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO events (at, kind, instrument, paper, body) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(wrap)?;
            for (at, paper, entry) in batch {
                let body = serde_json::to_string(entry).expect("journal entries always serialize");
                insert
                    .execute(params![
                        at.to_rfc3339(),
                        entry.kind(),
                        entry.instrument(),
                        paper,
                        body
                    ])
                    .map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
    }

    /// Entries with `from <= at < to`, in log order.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Recorded>, JournalError> {
        self.read(from, to, None)
    }

    /// The entries of one kind (`trade`, as `JournalEntry::kind` names it) with `from <= at < to`, in log
    /// order: a year's backtest journal holds hundreds of thousands of entries and its metrics need the round
    /// trips alone.
    pub fn between_of_kind(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kind: &str,
    ) -> Result<Vec<Recorded>, JournalError> {
        self.read(from, to, Some(kind))
    }

    fn read(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kind: Option<&str>,
    ) -> Result<Vec<Recorded>, JournalError> {
        let mut query = self
            .connection
            .prepare(
                "SELECT seq, at, paper, body FROM events
                 WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR kind = ?3) ORDER BY seq",
            )
            .map_err(|e| self.wrap(e))?;
        let rows = query
            .query_map(params![from.to_rfc3339(), to.to_rfc3339(), kind], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.wrap(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, paper, body) = row.map_err(|e| self.wrap(e))?;
            let corrupt = |message: String| JournalError::Corrupt {
                path: self.path.clone(),
                seq,
                message,
            };
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| corrupt(e.to_string()))?
                .to_utc();
            let entry = serde_json::from_str(&body).map_err(|e| corrupt(e.to_string()))?;
            out.push(Recorded {
                seq,
                at,
                paper,
                entry,
            });
        }
        Ok(out)
    }
}
