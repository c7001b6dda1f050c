//! How a command reaches its broker, and the embedded simulator speaking either broker's API: the one place
//! where a command's choice of broker becomes hosts, keys and a token source.

use url::Url;

use crate::broker::upstox::UpstoxHosts;
use crate::config::{Secret, TokenSource};
use crate::sim::{SimServer, SkyAccount};

/// Which broker's API the bot uses to reach the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SimApi {
    #[default]
    Upstox,
    Hdfcsky,
}

pub enum BrokerReach {
    Upstox {
        hosts: UpstoxHosts,
        tokens: TokenSource,
    },
    HdfcSky {
        base: Url,
        api_key: Secret,
        tokens: TokenSource,
    },
}

impl BrokerReach {
    /// The simulator at `sim` through `api`, with the token it accepts.
    pub fn simulator(sim: &SimServer, api: SimApi, token: &str) -> BrokerReach {
        let tokens = TokenSource::Fixed(Secret::new(token));
        match api {
            SimApi::Upstox => BrokerReach::Upstox {
                hosts: UpstoxHosts::single(sim.base_url()),
                tokens,
            },
            SimApi::Hdfcsky => BrokerReach::HdfcSky {
                base: sim.base_url(),
                api_key: Secret::new(SkyAccount::default().api_key),
                tokens,
            },
        }
    }
}
