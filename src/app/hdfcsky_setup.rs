//! Reaching HDFC Sky (or the simulator that speaks like it) from a command: the host, the API key and where
//! the access token comes from, the REST client, and the scrip ids of the universe.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use url::Url;

use super::broker_reach::required_secret;
use crate::broker::RestSettings;
use crate::broker::hdfcsky::{HdfcSkyRest, PRODUCTION, ScripId};
use crate::config::{BotConfig, Secret, TokenSource};
use crate::domain::InstrumentId;

pub const API_KEY: &str = "HDFCSKY_API_KEY";
pub const API_SECRET: &str = "HDFCSKY_API_SECRET";
pub const ACCESS_TOKEN: &str = "HDFCSKY_ACCESS_TOKEN";

/// The host a command talks to: `--base-url` (a simulator, or the UAT host), else production.
pub fn host(base_url: Option<&Url>) -> Url {
    base_url
        .cloned()
        .unwrap_or_else(|| Url::parse(PRODUCTION).expect("a valid URL"))
}

/// The API key, and the token from `--token-file` (0600, re-read on 401 and before each open) or else
/// `HDFCSKY_ACCESS_TOKEN`.
pub fn credentials(token_file: Option<&PathBuf>) -> anyhow::Result<(Secret, TokenSource)> {
    let api_key = required_secret(API_KEY, "the API key of your HDFC Sky app")?;
    let tokens = match token_file {
        Some(path) => TokenSource::File(path.clone()),
        None => {
            required_secret(
                ACCESS_TOKEN,
                "the access token that `dalal login hdfcsky` writes (or give --token-file)",
            )?;
            TokenSource::Env(ACCESS_TOKEN.into())
        }
    };
    Ok((api_key, tokens))
}

pub fn rest_client(
    base: Url,
    api_key: Secret,
    tokens: &TokenSource,
    settings: RestSettings,
) -> anyhow::Result<HdfcSkyRest> {
    let token = tokens.read().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(HdfcSkyRest::new(base, api_key, token, settings)?)
}

/// Scrip id → instrument, for the universe's instruments.
pub fn scrip_keys(bot: &BotConfig) -> anyhow::Result<HashMap<String, InstrumentId>> {
    bot.universe
        .iter()
        .map(|instrument| {
            let scrip = ScripId::of(instrument).with_context(|| {
                format!(
                    "{} has no hdfcsky_token in {}: add it from HDFC Sky's security master",
                    instrument.id,
                    bot.path.display()
                )
            })?;
            Ok((scrip.to_string(), instrument.id.clone()))
        })
        .collect()
}
