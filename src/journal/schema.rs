//! Schema versions of dalal's SQLite files (the journal, the candle history): `PRAGMA user_version` counts the
//! migrations applied, each runs in its own transaction, and a file from a newer dalal is refused rather than
//! written in a shape this one does not know.

use rusqlite::Connection;

/// Why a file could not be brought to the current schema.
pub enum MigrationError {
    Sqlite(rusqlite::Error),
    /// The file's version is above the migrations this dalal knows.
    Newer {
        found: i64,
        known: i64,
    },
}

impl From<rusqlite::Error> for MigrationError {
    fn from(e: rusqlite::Error) -> Self {
        MigrationError::Sqlite(e)
    }
}

/// Applies the `migrations` the file at `connection` has not had yet.
pub fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), MigrationError> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = migrations.len() as i64;
    if version > known {
        return Err(MigrationError::Newer {
            found: version,
            known,
        });
    }
    for (index, sql) in migrations.iter().enumerate().skip(version as usize) {
        let tx = connection.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
