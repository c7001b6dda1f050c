//! Configuration errors that a trader can act on: which file, which key, which line, what is wrong, what to do.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// The class of a configuration problem, for callers and tests that must tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Unreadable,
    /// Not valid TOML.
    Syntax,
    /// A key the schema does not know (usually a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type or shape (text where a number goes, an unparseable time or date).
    WrongType,
    /// A value outside its allowed range.
    OutOfRange,
    /// A value that is well-formed but contradicts another one, or the same entry given twice.
    Inconsistent,
    /// A secret written into a TOML file instead of the environment.
    SecretInFile,
    /// A secret the chosen broker needs is not set.
    MissingSecret,
    /// A file holding secrets that other users can read.
    InsecurePermissions,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub struct ConfigError {
    pub kind: ConfigErrorKind,
    pub file: PathBuf,
    /// The dotted key (`feed.poll_interval_ms`, `universe[2].isin`), when the problem has one.
    pub key: Option<String>,
    pub line: Option<usize>,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}\n  fix: {}", self.problem, self.fix)
    }
}

/// Every problem found in one load, so the trader fixes them all in one pass.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} configuration problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "- {e}")?;
        }
        Ok(())
    }
}
