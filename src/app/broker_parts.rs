//! The one place a command's `BrokerReach` and the config become a broker's parts: the feed (market data, on
//! Upstox's analytics token when one is set), the order client (with the algo name, and the token re-read on a
//! 401), the account client and the universe's instrument keys. Every REST client of one host draws on that
//! host's one request budget (see `broker::rate_limit`), however many of them a command holds.

use std::collections::HashMap;
use std::sync::Arc;

use super::broker_reach::BrokerReach;
use super::{hdfcsky_setup, upstox_setup};
use crate::broker::RestSettings;
use crate::broker::hdfcsky::{HdfcSkyAccount, HdfcSkyFeedBroker, HdfcSkyOrders, SubscriptionType};
use crate::broker::upstox::{FeedMode, UpstoxAccount, UpstoxFeedBroker, UpstoxOrders};
use crate::calendar::Clock;
use crate::config::BotConfig;
use crate::domain::InstrumentId;

/// A broker's parts, by what each part of a day needs.
pub struct BrokerParts<F, O, A> {
    pub feed: Arc<F>,
    pub orders: O,
    pub account: Arc<A>,
    /// The broker's key of each instrument in the universe.
    pub keys: HashMap<String, InstrumentId>,
}

pub enum AnyBroker {
    Upstox(BrokerParts<UpstoxFeedBroker, UpstoxOrders, UpstoxAccount>),
    HdfcSky(BrokerParts<HdfcSkyFeedBroker, HdfcSkyOrders, HdfcSkyAccount>),
}

/// How the parts are made for one command.
pub struct PartsOptions {
    pub clock: Clock,
    /// How many times faster than the wall clock the market runs (a simulator's speed; 1 for a broker), so
    /// request budgets count in market time.
    pub speed: f64,
    /// Sent as `X-Algo-Name` on Upstox order calls; never to a simulator, which has no registered algo.
    pub algo_name: Option<String>,
    /// What HDFC Sky's feed subscribes to: `All` for a trading day, `Ltp` to watch prices.
    pub hdfcsky_quotes: SubscriptionType,
}

/// A broker's feed alone, with the universe's keys: all that watching prices needs (and no trading token).
pub enum AnyFeed {
    Upstox(Arc<UpstoxFeedBroker>, HashMap<String, InstrumentId>),
    HdfcSky(Arc<HdfcSkyFeedBroker>, HashMap<String, InstrumentId>),
}

impl BrokerReach {
    /// The feed, on the token that carries market data.
    pub fn feed(&self, bot: &BotConfig, options: &PartsOptions) -> anyhow::Result<AnyFeed> {
        Ok(match self {
            BrokerReach::Upstox {
                hosts,
                tokens,
                data_tokens,
            } => {
                if data_tokens.is_some() {
                    tracing::info!(
                        "market data (the feed, LTP polling, candles) on the analytics token; orders and the \
                         account on the daily token"
                    );
                }
                let data_tokens = data_tokens.clone().unwrap_or_else(|| tokens.clone());
                let settings = RestSettings::default()
                    .for_speed(options.speed)
                    .single_attempt();
                let rest = upstox_setup::rest_client(hosts.clone(), &data_tokens, settings)?;
                AnyFeed::Upstox(
                    Arc::new(UpstoxFeedBroker::new(rest, data_tokens, FeedMode::Ltpc)),
                    upstox_setup::upstox_keys(bot, |_| true)?,
                )
            }
            BrokerReach::HdfcSky {
                base,
                api_key,
                tokens,
            } => {
                let settings = RestSettings::hdfcsky()
                    .for_speed(options.speed)
                    .single_attempt();
                let rest =
                    hdfcsky_setup::rest_client(base.clone(), api_key.clone(), tokens, settings)?;
                AnyFeed::HdfcSky(
                    Arc::new(HdfcSkyFeedBroker::new(
                        Arc::new(rest),
                        tokens.clone(),
                        options.hdfcsky_quotes,
                    )),
                    hdfcsky_setup::scrip_keys(bot)?,
                )
            }
        })
    }

    /// The feed, and the order and account clients on the trading token.
    pub fn parts(self, bot: &BotConfig, options: PartsOptions) -> anyhow::Result<AnyBroker> {
        let feed = self.feed(bot, &options)?;
        Ok(match (self, feed) {
            (BrokerReach::Upstox { hosts, tokens, .. }, AnyFeed::Upstox(feed, keys)) => {
                let settings = RestSettings::default().for_speed(options.speed);
                let rest = Arc::new(
                    upstox_setup::rest_client(hosts, &tokens, settings)?
                        .with_algo_name(options.algo_name),
                );
                AnyBroker::Upstox(BrokerParts {
                    feed,
                    account: Arc::new(UpstoxAccount::new(Arc::clone(&rest), tokens.clone())),
                    orders: UpstoxOrders::for_universe(rest, &bot.universe).with_tokens(tokens),
                    keys,
                })
            }
            (
                BrokerReach::HdfcSky {
                    base,
                    api_key,
                    tokens,
                },
                AnyFeed::HdfcSky(feed, keys),
            ) => {
                let settings = RestSettings::hdfcsky().for_speed(options.speed);
                let rest = Arc::new(hdfcsky_setup::rest_client(
                    base, api_key, &tokens, settings,
                )?);
                AnyBroker::HdfcSky(BrokerParts {
                    feed,
                    account: Arc::new(HdfcSkyAccount::new(Arc::clone(&rest), tokens.clone())),
                    orders: HdfcSkyOrders::for_universe(rest, &bot.universe, options.clock)
                        .with_tokens(tokens),
                    keys,
                })
            }
            _ => unreachable!("`feed` answers with the reach's own broker"),
        })
    }
}
