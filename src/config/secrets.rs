//! Broker credentials: read only from the environment or an optional `.env` file, never from the TOML files
//! that a trader commits or shares, and never printed.
//!
//! `Secret` has no way to be formatted except as `<redacted>`; code that must send it to a broker calls
//! `expose`, which makes every use greppable.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::bot::BrokerName;
use super::error::{ConfigError, ConfigErrorKind};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One credential a broker may need: its environment variable, whether the broker cannot work without it, and
/// what it is for (shown when it is missing).
struct Credential {
    variable: &'static str,
    required: bool,
    what: &'static str,
}

fn credentials_of(broker: BrokerName) -> &'static [Credential] {
    match broker {
        BrokerName::Sim => &[],
        BrokerName::Upstox => &[
            Credential {
                variable: "UPSTOX_ACCESS_TOKEN",
                required: true,
                what: "the access token from `dalal login upstox` (it expires at 03:30 IST every day), unless dalal \
                       reads it from the token file that command writes (--token-file)",
            },
            Credential {
                variable: "UPSTOX_ANALYTICS_TOKEN",
                required: false,
                what: "the analytics token from the Upstox developer console (read-only, valid a year): when set, \
                       market data uses it and orders use the daily token",
            },
            Credential {
                variable: "UPSTOX_API_KEY",
                required: false,
                what: "the API key of your Upstox app, for `dalal login upstox`",
            },
            Credential {
                variable: "UPSTOX_API_SECRET",
                required: false,
                what: "the API secret of your Upstox app, for `dalal login upstox`",
            },
        ],
        BrokerName::HdfcSky => &[
            Credential {
                variable: "HDFCSKY_API_KEY",
                required: true,
                what: "the API key of your HDFC Sky app",
            },
            // Usually in the token file that `dalal login hdfcsky` writes (`--token-file`) instead.
            Credential {
                variable: "HDFCSKY_ACCESS_TOKEN",
                required: false,
                what: "the access token from HDFC Sky's login flow, unless dalal reads it from a token file",
            },
            Credential {
                variable: "HDFCSKY_API_SECRET",
                required: false,
                what: "the API secret of your HDFC Sky app, for `dalal login hdfcsky`",
            },
        ],
    }
}

/// Every environment variable that may hold a secret, for redaction and for the "secret in a TOML file" check.
pub fn secret_variables() -> impl Iterator<Item = &'static str> {
    [BrokerName::Upstox, BrokerName::HdfcSky]
        .into_iter()
        .flat_map(|b| credentials_of(b).iter().map(|c| c.variable))
        .chain([
            super::alert_channels::TELEGRAM_BOT_TOKEN,
            super::alert_channels::TELEGRAM_CHAT_ID,
            super::alert_channels::ALERT_WEBHOOK_URL,
        ])
}

/// The credentials found for one broker.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: BTreeMap<&'static str, Secret>,
}

impl Secrets {
    pub fn get(&self, variable: &str) -> Option<&Secret> {
        self.values.get(variable)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.keys().copied()
    }

    /// Reads `broker`'s credentials from `env` (the process environment in production), then from the `.env` file
    /// at `dotenv` if it exists; the environment wins. The `.env` file must not be readable by other users.
    pub fn load(
        broker: BrokerName,
        env: impl Fn(&str) -> Option<String>,
        dotenv: &Path,
    ) -> Result<Secrets, Vec<ConfigError>> {
        let from_file = read_dotenv(dotenv).map_err(|e| vec![e])?;
        let mut secrets = Secrets::default();
        let mut missing = Vec::new();
        for c in credentials_of(broker) {
            let value = env(c.variable)
                .or_else(|| from_file.get(c.variable).cloned())
                .filter(|v| !v.trim().is_empty());
            match value {
                Some(v) => {
                    secrets.values.insert(c.variable, Secret::new(v.trim()));
                }
                None if c.required => missing.push(ConfigError {
                    kind: ConfigErrorKind::MissingSecret,
                    file: dotenv.to_path_buf(),
                    key: Some(c.variable.to_string()),
                    line: None,
                    problem: format!("broker `{}` needs {}, and it is not set", broker.as_str(), c.what),
                    fix: format!(
                        "export {}=… in the environment (docker run -e {}), or put it in {} with chmod 600",
                        c.variable,
                        c.variable,
                        dotenv.display()
                    ),
                }),
                None => {}
            }
        }
        if missing.is_empty() {
            Ok(secrets)
        } else {
            Err(missing)
        }
    }
}

/// One variable from `env`, else from the `.env` file at `dotenv` (which must be private): for a credential
/// that one command needs and the broker's others do not, such as the API secret of a login.
pub fn secret_variable(
    variable: &str,
    env: impl Fn(&str) -> Option<String>,
    dotenv: &Path,
) -> Result<Option<Secret>, ConfigError> {
    let value = match env(variable) {
        Some(value) => Some(value),
        None => read_dotenv(dotenv)?.remove(variable),
    };
    Ok(value
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim())))
}

fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    check_private(path)?;
    let problem = |problem: String, fix: &str| ConfigError {
        kind: ConfigErrorKind::Syntax,
        file: path.to_path_buf(),
        key: None,
        line: None,
        problem,
        fix: fix.into(),
    };
    let entries = dotenvy::from_path_iter(path).map_err(|e| {
        problem(
            format!("cannot read it: {}", redacted_dotenv_error(&e)),
            "check the file",
        )
    })?;
    entries
        .map(|entry| {
            entry.map_err(|e| {
                problem(
                    format!("it is not a valid .env file: {}", redacted_dotenv_error(&e)),
                    "write one NAME=value per line",
                )
            })
        })
        .collect()
}

/// dotenvy's parse errors quote the offending line, which may hold a secret; keep only where it is.
fn redacted_dotenv_error(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(_, index) => format!("parse error at character {index}"),
        dotenvy::Error::Io(io) => io.to_string(),
        _ => "unreadable".into(),
    }
}

#[cfg(unix)]
pub(crate) fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(ConfigError {
            kind: ConfigErrorKind::InsecurePermissions,
            file: PathBuf::from(path),
            key: None,
            line: None,
            problem: format!(
                "this file holds secrets but other users can read it (mode {:o})",
                mode & 0o777
            ),
            fix: format!("chmod 600 {}", path.display()),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_private(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}
