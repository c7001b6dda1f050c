//! Reaching Upstox (or the simulator that speaks like it) from a command: where the token comes from, the REST
//! client, and the instrument keys of the universe.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::broker::upstox::{RestSettings, UpstoxHosts, UpstoxRest};
use crate::config::{BotConfig, BrokerName, ConfigErrors, Secrets, TokenSource, secret_variable};
use crate::domain::InstrumentId;

/// The token given by `--token-file` (0600, re-read on 401), else `UPSTOX_ACCESS_TOKEN` from the environment
/// or a 0600 `.env`.
pub fn upstox_tokens(token_file: Option<&PathBuf>) -> anyhow::Result<TokenSource> {
    match token_file {
        Some(path) => Ok(TokenSource::File(path.clone())),
        None => {
            Secrets::load(
                BrokerName::Upstox,
                |k| std::env::var(k).ok(),
                Path::new(".env"),
            )
            .map_err(|e| anyhow::anyhow!("{}", ConfigErrors(e)))?;
            Ok(TokenSource::Env("UPSTOX_ACCESS_TOKEN".into()))
        }
    }
}

/// Upstox's analytics token (`UPSTOX_ANALYTICS_TOKEN`): read-only and valid a year, it carries market data when
/// set, so the daily token's expiry or a 401 on it does not blind the feed. From the environment; from a 0600
/// `.env` too unless the daily token comes from `token_file` (a run that never read `.env` does not start to).
pub fn upstox_data_tokens(token_file: Option<&PathBuf>) -> anyhow::Result<Option<TokenSource>> {
    const VARIABLE: &str = "UPSTOX_ANALYTICS_TOKEN";
    let from_env = |k: &str| std::env::var(k).ok();
    let set = match token_file {
        Some(_) => from_env(VARIABLE).is_some(),
        None => secret_variable(VARIABLE, from_env, Path::new(".env"))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .is_some(),
    };
    Ok(set.then(|| TokenSource::Env(VARIABLE.into())))
}

pub fn rest_client(
    hosts: UpstoxHosts,
    tokens: &TokenSource,
    settings: RestSettings,
) -> anyhow::Result<UpstoxRest> {
    let token = tokens.read().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(UpstoxRest::new(hosts, token, settings)?)
}

/// Upstox instrument key → instrument, for the universe's instruments whose symbol `wanted` accepts.
pub fn upstox_keys(
    bot: &BotConfig,
    wanted: impl Fn(&str) -> bool,
) -> anyhow::Result<HashMap<String, InstrumentId>> {
    let mut keys = HashMap::new();
    for instrument in bot.universe.iter().filter(|i| wanted(&i.id.symbol)) {
        let key = instrument.upstox_key().with_context(|| {
            format!(
                "{} has no ISIN or upstox_key in {}",
                instrument.id,
                bot.path.display()
            )
        })?;
        keys.insert(key.as_str().to_string(), instrument.id.clone());
    }
    Ok(keys)
}
