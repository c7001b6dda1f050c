//! Where a broker access token comes from, so that it can be read again when the broker says 401: a trader who
//! logs in again (or a login helper that writes the token file) fixes a running bot without a restart.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::{ConfigError, ConfigErrorKind};
use super::secrets::{Secret, check_private, secret_variable};

#[derive(Debug, Clone)]
pub enum TokenSource {
    /// An environment variable, else the same name in the private `.env` of the working directory, read again
    /// each time (a container's env does not change, a dev shell's or a `.env` may).
    Env(String),
    /// A file holding the token alone, which must not be readable by other users.
    File(PathBuf),
    /// A token fixed for the life of the process (the simulator's, or tests').
    Fixed(Secret),
}

impl TokenSource {
    pub fn read(&self) -> Result<Secret, ConfigError> {
        match self {
            TokenSource::Fixed(secret) => Ok(secret.clone()),
            TokenSource::Env(variable) => {
                secret_variable(variable, |k| std::env::var(k).ok(), Path::new(".env"))?
                    .ok_or_else(|| missing(Path::new("environment or .env"), variable))
            }
            TokenSource::File(path) => {
                check_private(path)?;
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                    kind: ConfigErrorKind::Unreadable,
                    file: path.clone(),
                    key: None,
                    line: None,
                    problem: format!("cannot read the token file: {e}"),
                    fix: "log in again to write it, or point the token file setting at the right path".into(),
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(missing(path, "token"));
                }
                Ok(Secret::new(token))
            }
        }
    }
}

/// A token source and the token last taken from it: a feed re-reads its source on 401 and reconnects only when
/// the token really changed.
pub struct TokenWatch {
    source: TokenSource,
    current: Mutex<String>,
}

impl TokenWatch {
    pub fn new(source: TokenSource) -> Self {
        let current = source
            .read()
            .map(|t| t.expose().to_string())
            .unwrap_or_default();
        TokenWatch {
            source,
            current: Mutex::new(current),
        }
    }

    /// The token at the source, when it differs from the one last taken (which it then becomes).
    pub fn fresh(&self) -> Option<Secret> {
        let token = self.source.read().ok()?;
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if *current == token.expose() {
            return None;
        }
        *current = token.expose().to_string();
        Some(token)
    }
}

/// Writes a token file readable by its owner only, replacing the old one at once (a temporary file renamed
/// over it), so a running bot that re-reads it never sees half a token.
pub fn write_token_file(path: &Path, token: &Secret) -> Result<(), ConfigError> {
    let failed = |e: std::io::Error| ConfigError {
        kind: ConfigErrorKind::Unreadable,
        file: path.to_path_buf(),
        key: None,
        line: None,
        problem: format!("cannot write the token file: {e}"),
        fix: "choose a token file in a folder you can write to (--token-file)".into(),
    };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(failed)?;
    }
    let partial = path.with_extension("partial");
    // A partial file left by an earlier run may be anyone's to read: it goes, and ours is made new, private
    // from its first byte (a mode given at open applies only to a file the open creates).
    match std::fs::remove_file(&partial) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial).map_err(failed)?;
    use std::io::Write;
    file.write_all(token.expose().as_bytes()).map_err(failed)?;
    file.write_all(b"\n").map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)
}

fn missing(file: &Path, key: &str) -> ConfigError {
    ConfigError {
        kind: ConfigErrorKind::MissingSecret,
        file: file.to_path_buf(),
        key: Some(key.to_string()),
        line: None,
        problem: "no access token is there".into(),
        fix: "log in again and store the new access token".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_token_file_is_private_and_reads_back() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tokens/hdfcsky.token");
        write_token_file(&path, &Secret::new("first")).unwrap();
        write_token_file(&path, &Secret::new("second")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let read = TokenSource::File(path).read().unwrap();
        assert_eq!(read.expose(), "second");
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_world_readable_partial_file_does_not_make_the_token_readable() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("upstox.token");
        let stale = path.with_extension("partial");
        std::fs::write(&stale, "left over from a crash, longer than the token").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_token_file(&path, &Secret::new("fresh")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(TokenSource::File(path).read().unwrap().expose(), "fresh");
        assert!(!stale.exists());
    }
}
