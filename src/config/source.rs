//! One TOML file as text, deserialized with serde, with every error traced back to a dotted key and a line.
//!
//! serde reports a byte span; a trader needs `universe[2].isin` on line 31. The file is parsed a second time
//! into toml's spanned document so that spans map to keys and keys map to lines, for serde's errors and for the
//! range checks that run after deserialization alike.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, ConfigErrorKind};

pub(crate) struct TomlFile {
    pub path: PathBuf,
    text: String,
}

impl TomlFile {
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            kind: ConfigErrorKind::Unreadable,
            file: path.to_path_buf(),
            key: None,
            line: None,
            problem: format!("cannot read the file: {e}"),
            fix: "check the path (relative paths inside dalal.toml are relative to dalal.toml's folder) \
                  and that the file is readable"
                .into(),
        })?;
        Ok(Self::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: String) -> Self {
        TomlFile {
            path: path.to_path_buf(),
            text,
        }
    }

    /// A path written in this file: relative to the file's folder, and shown the way a person writes it
    /// (`data/journal.sqlite`, not `config/../data/journal.sqlite`).
    pub fn beside(&self, written: &Path) -> PathBuf {
        normalize(&self.path.parent().unwrap_or(Path::new("")).join(written))
    }

    /// The parsed document, for checks that look at keys before the schema does.
    pub fn document(&self) -> Result<Spanned<DeTable<'_>>, ConfigError> {
        DeTable::parse(&self.text).map_err(|e| {
            self.located_toml_error(
                &e,
                ConfigErrorKind::Syntax,
                "fix the TOML syntax on this line: quotes around text, `key = value`, brackets"
                    .into(),
            )
        })
    }

    /// Deserializes the file; a syntax error is reported as such before any schema error.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.document()?;
        toml::from_str(&self.text).map_err(|e| {
            let (kind, fix) = classify_schema_error(e.message());
            self.located_toml_error(&e, kind, fix)
        })
    }

    /// An error about `key` (dotted, with `[n]` for array entries), located on its line when the key is present.
    pub fn error(
        &self,
        kind: ConfigErrorKind,
        key: &str,
        problem: String,
        fix: String,
    ) -> ConfigError {
        ConfigError {
            kind,
            file: self.path.clone(),
            key: Some(key.to_string()),
            line: self.line_of(key),
            problem,
            fix,
        }
    }

    pub fn line_of(&self, key: &str) -> Option<usize> {
        let doc = DeTable::parse(&self.text).ok()?;
        let mut span = doc.span();
        let mut table = doc.get_ref();
        let mut value: Option<&DeValue<'_>> = None;
        for part in key.split('.') {
            let (name, index) = split_index(part);
            if let Some(v) = value {
                let DeValue::Table(t) = v else { return None };
                table = t;
            }
            let (k, v) = table.get_key_value(name)?;
            span = k.span();
            value = Some(v.get_ref());
            if let Some(i) = index {
                let DeValue::Array(items) = v.get_ref() else {
                    return None;
                };
                let item = items.get(i)?;
                span = item.span();
                value = Some(item.get_ref());
            }
        }
        Some(self.line_at(span.start))
    }

    fn line_at(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// The innermost dotted key whose key or value covers `offset`.
    fn key_at(&self, offset: usize) -> Option<String> {
        let doc = DeTable::parse(&self.text).ok()?;
        find_in_table(doc.get_ref(), offset)
    }

    fn located_toml_error(
        &self,
        e: &toml::de::Error,
        kind: ConfigErrorKind,
        fix: String,
    ) -> ConfigError {
        let span = e.span();
        ConfigError {
            kind,
            file: self.path.clone(),
            key: span.as_ref().and_then(|s| self.key_at(s.start)),
            line: span.map(|s: Range<usize>| self.line_at(s.start)),
            problem: e.message().trim().to_string(),
            fix,
        }
    }
}

fn split_index(part: &str) -> (&str, Option<usize>) {
    match part.strip_suffix(']').and_then(|p| p.split_once('[')) {
        Some((name, i)) => (name, i.parse().ok()),
        None => (part, None),
    }
}

/// Searches every key, not only those whose span covers the offset: a table opened by a `[header]` does not
/// span the lines of its body.
fn find_in_table(table: &DeTable<'_>, offset: usize) -> Option<String> {
    let covers = |r: Range<usize>| r.start <= offset && offset < r.end.max(r.start + 1);
    table.iter().find_map(|(k, v)| {
        let name = k.get_ref().to_string();
        match find_in_value(v, offset) {
            Some(inner) if inner.starts_with('[') => Some(format!("{name}{inner}")),
            Some(inner) => Some(format!("{name}.{inner}")),
            None => (covers(k.span()) || covers(v.span())).then_some(name),
        }
    })
}

fn find_in_value(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(t) => find_in_table(t, offset),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let r = item.span();
            match find_in_value(item, offset) {
                Some(inner) if inner.starts_with('[') => Some(format!("[{i}]{inner}")),
                Some(inner) => Some(format!("[{i}].{inner}")),
                None => (r.start <= offset && offset < r.end).then(|| format!("[{i}]")),
            }
        }),
        _ => None,
    }
}

fn classify_schema_error(message: &str) -> (ConfigErrorKind, String) {
    let (kind, fix) = if message.starts_with("unknown field") {
        (
            ConfigErrorKind::UnknownKey,
            "remove this key or correct its spelling to one of the expected keys",
        )
    } else if message.starts_with("unknown variant") {
        (
            ConfigErrorKind::OutOfRange,
            "use one of the expected values listed above",
        )
    } else if message.starts_with("missing field") {
        (
            ConfigErrorKind::MissingKey,
            "add the missing key to this table",
        )
    } else {
        (
            ConfigErrorKind::WrongType,
            "give a value of the expected type and shape, as the message says",
        )
    };
    (kind, fix.to_string())
}
/// `path` without `.` and with each `..` taken off the folder before it, lexically: a `..` after a symlinked
/// folder climbs out of the link's name, not its target, which is how a person reads the path too.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // Above the root is the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_as_people_write_them() {
        let file = TomlFile::from_text(Path::new("config/dalal.toml"), String::new());
        let shown = |written: &str| file.beside(Path::new(written)).display().to_string();
        assert_eq!(
            shown("../data/sim-journal.sqlite"),
            "data/sim-journal.sqlite"
        );
        assert_eq!(shown("./holidays/nse.toml"), "config/holidays/nse.toml");
        assert_eq!(shown("../../elsewhere/j.sqlite"), "../elsewhere/j.sqlite");
        assert_eq!(shown("/var/lib/dalal/j.sqlite"), "/var/lib/dalal/j.sqlite");
        assert_eq!(normalize(Path::new("/app/config/../../..")), Path::new("/"));
        assert_eq!(normalize(Path::new("config/..")), Path::new("."));
    }
}
