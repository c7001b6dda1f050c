//! The trader's configuration: `config/dalal.toml`, the strategy file it names, the holiday file, and broker
//! credentials from the environment.
//!
//! Loading validates everything at once and reports every problem with its file, key, line and fix, so a trader
//! never learns about a typo from a misbehaving bot at 09:15. Secrets never come from these files: a key that
//! looks like one is refused with a pointer to the environment variable to use instead.

mod alert_channels;
mod alerts;
mod bot;
mod broker_calendar_cache;
mod calendar_data;
mod charges;
mod checker;
mod error;
#[cfg(test)]
mod fuzz;
mod instrument_master;
mod order_policy;
mod secrets;
mod source;
mod strategy;
mod token_source;
mod universe;
pub mod values;

use std::path::Path;

use toml::de::{DeTable, DeValue};

pub use alert_channels::{
    ALERT_WEBHOOK_URL, AlertTargets, TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TelegramTarget,
    WebhookTarget,
};
pub use alerts::{AlertEvent, AlertSettings};
pub use bot::{
    BotConfig, BrokerName, FeedSettings, Mode, RiskLimits, SessionCutoffs, StatusSettings,
    instrument_master_path,
};
pub use broker_calendar_cache::{BrokerCalendarCache, cache_path as broker_calendar_path};
pub use charges::ChargeRates;
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors};
pub use instrument_master::{InstrumentMaster, MasterRow, master_path};
pub use order_policy::OrderPolicy;
pub use secrets::{Secret, Secrets, secret_variable, secret_variables};
pub use strategy::{Direction, EntryTrigger, SizingRule, StopRule, StrategyConfig};
pub use token_source::{TokenSource, TokenWatch, write_token_file};
pub use universe::TickSources;

use source::TomlFile;

/// Where dalal looks for its config when none is named.
pub const DEFAULT_CONFIG_PATH: &str = "config/dalal.toml";

/// dalal.toml and the strategy file it names, both validated, and checked against each other.
#[derive(Debug, Clone)]
pub struct Config {
    pub bot: BotConfig,
    pub strategy: StrategyConfig,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        // The strategy is checked against dalal.toml, so it waits until dalal.toml parses.
        let bot = load_bot(path, &mut errors);
        let strategy = bot
            .as_ref()
            .and_then(|bot| load_strategy(&bot.strategy_path, bot, &mut errors));
        match (bot, strategy) {
            (Some(bot), Some(strategy)) if errors.is_empty() => Ok(Config { bot, strategy }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    /// The same config trading the strategy in `path` instead (a replay or backtest of an edit).
    pub fn with_strategy_file(mut self, path: &Path) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        match load_strategy(path, &self.bot, &mut errors) {
            Some(strategy) if errors.is_empty() => {
                self.strategy = strategy;
                Ok(self)
            }
            _ => Err(ConfigErrors(errors)),
        }
    }

    /// The same config trading the strategy written in `text` (a sweep's variant of a file), errors naming
    /// `label` as the file.
    pub fn with_strategy_text(
        mut self,
        label: &Path,
        text: String,
    ) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        let file = TomlFile::from_text(label, text);
        match strategy_from(&file, &self.bot, &mut errors) {
            Some(strategy) if errors.is_empty() => {
                self.strategy = strategy;
                Ok(self)
            }
            _ => Err(ConfigErrors(errors)),
        }
    }
}

/// The strategy file at `path`, validated against dalal.toml.
fn load_strategy(
    path: &Path,
    bot: &BotConfig,
    errors: &mut Vec<ConfigError>,
) -> Option<StrategyConfig> {
    let file = TomlFile::read(path).map_err(|e| errors.push(e)).ok()?;
    strategy_from(&file, bot, errors)
}

fn strategy_from(
    file: &TomlFile,
    bot: &BotConfig,
    errors: &mut Vec<ConfigError>,
) -> Option<StrategyConfig> {
    if reject_secrets(file, errors) {
        return None;
    }
    strategy::load(file, Some(bot), errors)
}

impl BotConfig {
    /// dalal.toml alone, for commands that do not need the strategy (the calendar).
    pub fn load(path: &Path) -> Result<BotConfig, ConfigErrors> {
        let mut errors = Vec::new();
        match load_bot(path, &mut errors) {
            Some(bot) if errors.is_empty() => Ok(bot),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

fn load_bot(path: &Path, errors: &mut Vec<ConfigError>) -> Option<BotConfig> {
    let file = TomlFile::read(path).map_err(|e| errors.push(e)).ok()?;
    if reject_secrets(&file, errors) {
        return None;
    }
    bot::load(&file, errors)
}

/// Key names that hold credentials; they belong in the environment, never in a file that gets committed.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "api_key",
    "api_secret",
    "apikey",
    "bot_token",
    "client_secret",
    "password",
    "pin",
    "secret",
    "token",
    "totp_secret",
    "webhook_url",
];

/// Reports every credential-like key; true if there was one, so the schema pass does not report it again.
fn reject_secrets(file: &TomlFile, errors: &mut Vec<ConfigError>) -> bool {
    let Ok(doc) = file.document() else {
        return false; // The schema pass reports the syntax error.
    };
    let mut found = Vec::new();
    collect_secret_keys(doc.get_ref(), "", &mut found);
    let variables: Vec<&str> = secret_variables().collect();
    for key in &found {
        errors.push(file.error(
            ConfigErrorKind::SecretInFile,
            key,
            "credentials must not be written in a TOML file: these files get committed and shared".into(),
            format!(
                "remove the key and set the secret in the environment or a chmod-600 .env file instead: {}",
                variables.join(", ")
            ),
        ));
    }
    !found.is_empty()
}

fn collect_secret_keys(table: &DeTable<'_>, prefix: &str, found: &mut Vec<String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        if SECRET_KEYS.contains(&k.get_ref().to_ascii_lowercase().as_str()) {
            found.push(key.clone());
        }
        match v.get_ref() {
            DeValue::Table(t) => collect_secret_keys(t, &key, found),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref() {
                        collect_secret_keys(t, &format!("{key}[{i}]"), found);
                    }
                }
            }
            _ => {}
        }
    }
}
