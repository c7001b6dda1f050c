//! The broker's holiday list as last read, kept under `data/` so that a restart, `dalal calendar` and a day
//! on which the broker cannot be reached still know what the broker announced. It also remembers which
//! disagreements between sources were already journaled, so each is journaled once, not at every pre-open.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::calendar::BrokerDays;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerCalendarCache {
    pub list: BrokerDays,
    /// Disagreements already journaled, in the words `CalendarData::disagreements` gives them.
    #[serde(default)]
    pub journaled: Vec<String>,
}

/// Where the cache lives for a journal at `journal_path`: beside it and named after it (`journal.calendar.json`),
/// so the embedded simulator's journal, which each run starts afresh, has its own.
pub fn cache_path(journal_path: &Path) -> PathBuf {
    journal_path.with_extension("calendar.json")
}

impl BrokerCalendarCache {
    /// The cache at `path`: `None` when there is none yet; a file that cannot be read is named in a warning
    /// and treated as absent, since the next read of the broker's list replaces it.
    pub fn read(path: &Path) -> Option<BrokerCalendarCache> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "the broker calendar cache cannot be read; ignoring it");
                return None;
            }
        };
        match serde_json::from_str(&text) {
            Ok(cache) => Some(cache),
            Err(e) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "the broker calendar cache is not valid JSON; ignoring it (the next `dalal calendar --sync` \
                     or pre-open rewrites it)"
                );
                None
            }
        }
    }

    /// Replaces the file whole (written beside it, then renamed), so a reader never sees half of it.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = path.with_extension("json.partial");
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, path)
    }
}
