//! The market simulator: a real HTTP + WebSocket server on loopback that answers like Upstox (REST v2/v3 and the
//! Market Data Feed V3) and like HDFC Sky (its login, REST and protobuf WebSocket) on the same port, with prices
//! from a seeded scenario on the simulated clock and faults scripted by time.
//!
//! It is the test bed of every integration test and the embedded default that a newcomer runs. One
//! `SimServer` owns the listener; the handlers share `SimState`, which advances the market to the clock's "now"
//! each time it is looked at.

mod day_totals;
mod faults;
mod feed_frames;
mod hdfcsky_books;
mod hdfcsky_charts;
mod hdfcsky_feed;
mod hdfcsky_funds;
mod hdfcsky_login;
mod hdfcsky_rest;
mod history_calls;
mod market;
mod market_depth;
mod market_history;
#[cfg(test)]
mod market_history_tests;
mod orders;
mod scenario;
mod state;
mod upstox_feed;
mod upstox_history;
mod upstox_kill_switch;
mod upstox_login;
mod upstox_master;
mod upstox_order_stream;
mod upstox_rest;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post, put};
use axum::serve::ListenerExt;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use crate::calendar::{Clock, MarketCalendar};

pub use history_calls::HistoryServed;
pub use market::InstrumentSpec;
pub use market_history::MarketHistory;
pub use scenario::{BUILT_IN_SCENARIO, Fault, FaultKind, Scenario, ScenarioError};

/// The path of the one-time feed URLs the simulator hands out.
pub const FEED_PATH: &str = "/market-data-feeder/v3/upstox-developer-api/feeds";

/// The simulated account's Upstox analytics token: accepted by the market-data calls (LTP, candles, market
/// status, the feed) whatever happens to the trading token, refused by everything else with 401.
pub const SIM_ANALYTICS_TOKEN: &str = "dalal-sim-analytics-token";

pub struct SimSettings {
    /// The access token the simulator accepts until a scripted `token_expiry` (on HDFC Sky's API too, where
    /// it must be a JWT whose `sub` is `sky.client_id`).
    pub token: String,
    /// A token issued by logging in again: accepted before and after any expiry.
    pub renewed_token: Option<String>,
    pub scenario: Scenario,
    pub clock: Clock,
    pub calendar: MarketCalendar,
    /// The HDFC Sky app and account that its login flow accepts.
    pub sky: SkyAccount,
    /// The Upstox app that its login dialog and token exchange accept.
    pub upstox: UpstoxApp,
}

/// The simulated Upstox app: its API key and secret, the redirect URI and the algo name registered on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstoxApp {
    pub api_key: String,
    pub api_secret: String,
    pub redirect_uri: String,
    pub algo_name: String,
}

impl Default for UpstoxApp {
    fn default() -> Self {
        UpstoxApp {
            api_key: "dalal-sim-upstox-key".into(),
            api_secret: "dalal-sim-upstox-secret".into(),
            redirect_uri: crate::broker::upstox::DEFAULT_REDIRECT_URI.into(),
            algo_name: "dalal-sim-algo".into(),
        }
    }
}

/// The simulated HDFC Sky app (API key and secret) and account (username, OTP, PIN, client id, and the cash it
/// starts each day with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkyAccount {
    pub api_key: String,
    pub api_secret: String,
    pub username: String,
    pub otp: String,
    pub pin: String,
    pub client_id: String,
    /// Rupees: the funds view's "Opening Balance".
    pub opening_balance: rust_decimal::Decimal,
}

impl Default for SkyAccount {
    fn default() -> Self {
        SkyAccount {
            api_key: "dalal-sim-api-key".into(),
            api_secret: "dalal-sim-api-secret".into(),
            username: "SIM0001".into(),
            otp: "1234".into(),
            pin: "2468".into(),
            client_id: "SIM0001".into(),
            opening_balance: rust_decimal::Decimal::from(500_000),
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct SimServer {
    addr: SocketAddr,
    state: Arc<state::SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimServer {
    /// Binds `addr` (use port 0 for any free port) and serves until stopped.
    pub async fn start(addr: SocketAddr, settings: SimSettings) -> std::io::Result<SimServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state::SimState::new(settings, addr));
        let app = router(Arc::clone(&state));
        let (shutdown, stopped) = oneshot::channel::<()>();
        // No Nagle: a feed frame a second must not wait on a delayed ACK, which at 100x is seconds of market time.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        tracing::info!(%addr, "simulator listening");
        Ok(SimServer {
            addr,
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL a client points its REST hosts at.
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("http://{}", self.addr)).expect("a socket address makes a valid URL")
    }

    /// The simulator's own record of the day, as a broker would state it: every order it received, every
    /// fill, and each instrument's net position now. A day can be checked from the broker's side with it.
    pub fn ledger(&self) -> serde_json::Value {
        let (inner, _) = self.state.at_now();
        serde_json::json!({
            "orders": inner.book.order_rows(),
            "fills": inner.book.trade_rows(),
            "positions": inner.book.position_rows(&inner.market),
        })
    }

    /// Every historical candle answer served so far (either API), in order: what a fetch asked for.
    pub fn history_served(&self) -> Vec<HistoryServed> {
        self.state.history_log.all()
    }

    /// The segments the kill switch has turned off.
    pub fn switched_off(&self) -> Vec<String> {
        let mut segments: Vec<String> =
            self.state.at_now().0.switched_off.keys().cloned().collect();
        segments.sort();
        segments
    }

    /// When each fill happened at the simulator, to the instant (the trade rows show whole seconds), with its
    /// order id: how long a fill took to reach dalal is measured from it.
    pub fn fill_instants(&self) -> Vec<(String, DateTime<Utc>)> {
        self.state.at_now().0.book.fill_instants()
    }

    /// Stops accepting requests and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn router(state: Arc<state::SimState>) -> Router {
    Router::new()
        .route("/v2/user/profile", get(upstox_rest::profile))
        .route(
            "/v2/user/kill-switch",
            get(upstox_kill_switch::status).post(upstox_kill_switch::update),
        )
        .route("/v3/market-quote/ltp", get(upstox_rest::ltp))
        .route(
            "/v3/historical-candle/intraday/{key}/{unit}/{interval}",
            get(upstox_rest::intraday_candles),
        )
        .route(
            "/v3/historical-candle/{key}/{unit}/{interval}/{to_date}",
            get(upstox_history::historical_candles),
        )
        .route(
            "/v3/historical-candle/{key}/{unit}/{interval}/{to_date}/{from_date}",
            get(upstox_history::historical_candles),
        )
        .route(
            "/v2/market/status/{exchange}",
            get(upstox_rest::market_status),
        )
        .route("/v2/market/holidays", get(upstox_rest::holidays))
        .route("/v2/login/authorization/dialog", get(upstox_login::dialog))
        .route("/v2/login/authorization/token", post(upstox_login::token))
        .route("/v3/order/place", post(upstox_rest::place_order))
        .route("/v3/order/modify", put(upstox_rest::modify_order))
        .route("/v3/order/cancel", delete(upstox_rest::cancel_order))
        .route("/v2/order/details", get(upstox_rest::order_details))
        .route("/v2/order/history", get(upstox_rest::order_history))
        .route("/v2/order/retrieve-all", get(upstox_rest::order_book))
        .route(
            "/v2/order/trades/get-trades-for-day",
            get(upstox_rest::trades),
        )
        .route(
            "/v2/portfolio/short-term-positions",
            get(upstox_rest::positions),
        )
        .route(
            "/v3/feed/market-data-feed/authorize",
            get(upstox_feed::authorize),
        )
        .route(
            "/v3/feed/market-data-feed",
            get(upstox_feed::direct_connect),
        )
        .route(FEED_PATH, get(upstox_feed::connect))
        .route(
            "/market-quote/instruments/exchange/{file}",
            get(upstox_master::master),
        )
        .route(
            "/v2/feed/portfolio-stream-feed/authorize",
            get(upstox_order_stream::authorize),
        )
        .route(
            upstox_order_stream::ORDER_STREAM_PATH,
            get(upstox_order_stream::connect),
        )
        .route("/oapi/v1/login", get(hdfcsky_login::start))
        .route(
            "/oapi/v1/login-channel/validate",
            post(hdfcsky_login::username),
        )
        .route("/oapi/v1/otp/validate", put(hdfcsky_login::otp))
        .route("/oapi/v1/twofa/validate", post(hdfcsky_login::pin))
        .route("/oapi/v1/authorise", get(hdfcsky_login::authorise))
        .route("/oapi/v1/access-token", post(hdfcsky_login::access_token))
        .route(
            "/oapi/v1/user/trading_info",
            get(hdfcsky_rest::trading_info),
        )
        .route("/oapi/v1/fetch-ltp", put(hdfcsky_rest::fetch_ltp))
        .route(
            "/oapi/v1/orders",
            get(hdfcsky_books::order_book)
                .post(hdfcsky_rest::place_order)
                .put(hdfcsky_rest::modify_order),
        )
        .route(
            "/oapi/v1/orders/{order_id}",
            delete(hdfcsky_rest::cancel_order),
        )
        .route("/oapi/v1/trades", get(hdfcsky_books::trades))
        .route(
            crate::broker::hdfcsky::chart_candles::ENDPOINT,
            get(hdfcsky_charts::fetch_candle),
        )
        .route("/oapi/v1/positions", get(hdfcsky_books::positions))
        .route("/oapi/v1/funds/view", get(hdfcsky_funds::funds))
        .route("/oapi/v2/funds/view", get(hdfcsky_funds::funds_v2))
        .route("/oapi/v1/holdings", get(hdfcsky_funds::holdings))
        .route(
            "/api/v1/contract/Compact",
            get(hdfcsky_rest::security_master),
        )
        .route(
            crate::broker::hdfcsky::SESSION_PATH,
            get(hdfcsky_feed::session),
        )
        .fallback(upstox_rest::not_found)
        .layer(axum::middleware::map_response_with_state(
            Arc::clone(&state),
            simulated_date,
        ))
        .with_state(state)
}

/// Every answer's `Date` header on the simulated clock, as a broker's would be on its own: `dalal doctor`
/// measures clock offsets from it.
async fn simulated_date(
    axum::extract::State(state): axum::extract::State<Arc<state::SimState>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let date = state
        .clock
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = axum::http::HeaderValue::from_str(&date) {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, value);
    }
    response
}
