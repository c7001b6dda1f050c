//! How a command reaches its broker, and the embedded simulator speaking either broker's API: the one place
//! where a command's choice of broker becomes hosts, keys and a token source, and where a required credential
//! is read.

use std::path::{Path, PathBuf};

use anyhow::Context;
use url::Url;

use super::hdfcsky_setup;
use super::upstox_setup::{upstox_data_tokens, upstox_tokens};
use crate::broker::upstox::UpstoxHosts;
use crate::config::{Secret, TokenSource, secret_variable};
use crate::sim::{SimServer, SkyAccount};

/// Which broker's API the bot uses to reach the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SimApi {
    #[default]
    Upstox,
    Hdfcsky,
}

/// A real broker a command may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveBroker {
    Upstox,
    HdfcSky,
}

pub enum BrokerReach {
    /// `data_tokens`: the analytics token for market data (the feed, LTP polling, candles) when one is set;
    /// orders and the account always use `tokens`.
    Upstox {
        hosts: UpstoxHosts,
        tokens: TokenSource,
        data_tokens: Option<TokenSource>,
    },
    HdfcSky {
        base: Url,
        api_key: Secret,
        tokens: TokenSource,
    },
}

impl BrokerReach {
    /// `broker` at `base_url` (its production hosts without one), with its credentials from `token_file` or the
    /// environment: how `run`, `feed` and `doctor` all reach a real broker.
    pub fn live(
        broker: LiveBroker,
        base_url: Option<&Url>,
        token_file: Option<&PathBuf>,
    ) -> anyhow::Result<BrokerReach> {
        Ok(match broker {
            LiveBroker::Upstox => BrokerReach::Upstox {
                hosts: base_url
                    .cloned()
                    .map_or_else(UpstoxHosts::production, UpstoxHosts::single),
                tokens: upstox_tokens(token_file)?,
                data_tokens: upstox_data_tokens(token_file)?,
            },
            LiveBroker::HdfcSky => {
                let (api_key, tokens) = hdfcsky_setup::credentials(token_file)?;
                BrokerReach::HdfcSky {
                    base: hdfcsky_setup::host(base_url),
                    api_key,
                    tokens,
                }
            }
        })
    }

    /// Which broker at which host, for a report's heading.
    pub fn describe(&self) -> String {
        match self {
            BrokerReach::Upstox { hosts, .. } => format!("Upstox at {}", hosts.api),
            BrokerReach::HdfcSky { base, .. } => format!("HDFC Sky at {base}"),
        }
    }

    /// The simulator at `sim` through `api`, with the token it accepts.
    pub fn simulator(sim: &SimServer, api: SimApi, token: &str) -> BrokerReach {
        let tokens = TokenSource::Fixed(Secret::new(token));
        match api {
            SimApi::Upstox => BrokerReach::Upstox {
                hosts: UpstoxHosts::single(sim.base_url()),
                tokens,
                data_tokens: None,
            },
            SimApi::Hdfcsky => BrokerReach::HdfcSky {
                base: sim.base_url(),
                api_key: Secret::new(SkyAccount::default().api_key),
                tokens,
            },
        }
    }

    /// The same broker with its token read from `file` instead (mode 600, re-read before each open and on a
    /// 401): how a run against the simulator takes the token that `dalal login` writes.
    pub fn with_token_file(self, file: PathBuf) -> BrokerReach {
        let tokens = TokenSource::File(file);
        match self {
            BrokerReach::Upstox {
                hosts, data_tokens, ..
            } => BrokerReach::Upstox {
                hosts,
                tokens,
                data_tokens,
            },
            BrokerReach::HdfcSky { base, api_key, .. } => BrokerReach::HdfcSky {
                base,
                api_key,
                tokens,
            },
        }
    }
}

/// A credential from the environment or a 0600 `.env`, or an error that says how to set it.
pub fn required_secret(variable: &str, what: &str) -> anyhow::Result<Secret> {
    secret_variable(variable, |k| std::env::var(k).ok(), Path::new(".env"))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| {
            format!(
                "{variable} is not set: it is {what}; export {variable}=… (docker run -e {variable}) or put it in \
                 .env with chmod 600"
            )
        })
}
