//! Collects every validation problem of one file in one pass, each located at its key and line.

use super::error::{ConfigError, ConfigErrorKind};
use super::source::TomlFile;

/// Collects every problem in one pass, each located in the file.
pub(crate) struct Checker<'a> {
    pub file: &'a TomlFile,
    pub errors: &'a mut Vec<ConfigError>,
}

impl Checker<'_> {
    pub fn fail(&mut self, kind: ConfigErrorKind, key: &str, problem: String, fix: String) {
        self.errors.push(self.file.error(kind, key, problem, fix));
    }

    pub fn range<T: PartialOrd + std::fmt::Display>(
        &mut self,
        key: &str,
        value: T,
        min: T,
        max: T,
        unit: &str,
    ) {
        if value < min || value > max {
            self.fail(
                ConfigErrorKind::OutOfRange,
                key,
                format!("{value}{unit} is out of range"),
                format!("set it between {min}{unit} and {max}{unit}"),
            );
        }
    }
}
