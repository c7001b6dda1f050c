//! The Upstox REST client: profile, LTP, market status and holidays, orders, trades, positions, and the feed's
//! one-time WebSocket URL.
//!
//! Every request carries `Authorization: Bearer`, a real `User-Agent` (Upstox's edge refuses requests without
//! one) and waits for room in its rate budget first. Every failure is classified here. Reads are retried after a
//! backoff when the broker says 429 or fails transiently; writes never are, because only the executor can tell
//! whether a lost order acknowledgement means the order exists.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::order_rules::rule_refusal;
use super::order_update_frame::ORDER_UPDATES_ONLY;
use super::rest_types::{
    AuthorizeData, CandleData, Envelope, ErrorEnvelope, HolidayData, KillSwitchSegment,
    KillSwitchUpdate, LtpData, MarketStatusData, ModifyOrderBody, OrderData, OrderIdData,
    OrderIdsData, PlaceOrderBody, PositionData, ProfileData, TradeData,
};
use super::wire_convert::{candle, order_report, position_report, price, trade_report};
use crate::broker::http_policy::{
    body_snippet, date_header, exchange, http_client, read_with_retries, transport_error,
};
use crate::broker::{
    BrokerError, ErrorClass, LtpQuote, OrderReport, PositionReport, Profile, RateLimit,
    RestSettings, RowSkips, SkippedRow, TradeReport, readable_rows,
};
use crate::calendar::{BrokerDay, to_ist};
use crate::config::{Secret, TokenWatch};
use crate::domain::{Candle, CandleInterval};

/// Upstox answers at most this many instrument keys in one LTP call.
pub const LTP_KEYS_PER_CALL: usize = 500;

pub const USER_AGENT: &str = concat!(
    "dalal/",
    env!("CARGO_PKG_VERSION"),
    " (intraday trading bot; rust reqwest)"
);

/// Where requests go. Orders have their own host in production; the simulator serves both on one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstoxHosts {
    pub api: Url,
    pub order: Url,
}

impl UpstoxHosts {
    pub fn production() -> Self {
        UpstoxHosts {
            api: Url::parse("https://api.upstox.com").expect("a valid URL"),
            order: Url::parse("https://api-hft.upstox.com").expect("a valid URL"),
        }
    }

    /// Upstox's sandbox serves orders only.
    pub fn sandbox() -> Self {
        let sandbox = Url::parse("https://api-sandbox.upstox.com").expect("a valid URL");
        UpstoxHosts {
            api: sandbox.clone(),
            order: sandbox,
        }
    }

    pub fn single(base: Url) -> Self {
        UpstoxHosts {
            api: base.clone(),
            order: base,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Host {
    Api,
    Order,
}

pub struct UpstoxRest {
    http: reqwest::Client,
    hosts: UpstoxHosts,
    token: RwLock<Secret>,
    standard: Arc<RateLimit>,
    orders: Arc<RateLimit>,
    settings: RestSettings,
    skipped: RowSkips,
    /// `X-Algo-Name` on place, modify and cancel, when set.
    algo_name: Option<String>,
}

impl UpstoxRest {
    pub fn new(
        hosts: UpstoxHosts,
        token: Secret,
        settings: RestSettings,
    ) -> Result<Self, BrokerError> {
        let standard = RateLimit::shared(&hosts.api, "standard", settings.standard_budget);
        let orders = RateLimit::shared(&hosts.api, "orders", settings.order_budget);
        Ok(UpstoxRest {
            http: http_client(USER_AGENT, &settings)?,
            hosts,
            token: RwLock::new(token),
            standard,
            orders,
            settings,
            skipped: RowSkips::default(),
            algo_name: None,
        })
    }

    /// Sends `name` as `X-Algo-Name` on every order call (place, modify, cancel), as the 2026 rules ask of a
    /// registered algo.
    pub fn with_algo_name(mut self, name: Option<String>) -> Self {
        self.algo_name = name;
        self
    }

    /// The list rows skipped since the last call (see `readable_rows`).
    pub fn take_skipped_rows(&self) -> Vec<SkippedRow> {
        self.skipped.take()
    }

    /// Replaces the access token, e.g. after the trader logged in again.
    pub fn set_token(&self, token: Secret) {
        *self.token.write().unwrap_or_else(|p| p.into_inner()) = token;
    }

    /// Takes the token at `tokens`' source when it changed (after a 401); true when a new one is now in use.
    pub fn take_fresh_token(&self, tokens: &TokenWatch) -> bool {
        let Some(token) = tokens.fresh() else {
            return false;
        };
        self.set_token(token);
        true
    }

    pub async fn profile(&self) -> Result<Profile, BrokerError> {
        let data: ProfileData = self.read("/v2/user/profile", &[]).await?;
        Ok(Profile {
            user_id: data.user_id,
            user_name: data.user_name,
            broker: data.broker,
        })
    }

    /// Last prices for any number of keys, in calls of at most 500 keys. Keys the broker does not answer for
    /// are absent from the result.
    pub async fn ltp(&self, keys: &[&str]) -> Result<Vec<LtpQuote>, BrokerError> {
        let mut quotes = Vec::with_capacity(keys.len());
        for batch in keys.chunks(LTP_KEYS_PER_CALL) {
            let data: LtpData = self
                .read(
                    "/v3/market-quote/ltp",
                    &[("instrument_key", batch.join(","))],
                )
                .await?;
            quotes.extend(ltp_quotes(data)?);
        }
        Ok(quotes)
    }

    /// The broker's clock, from the HTTP `Date` header of a market-status call (whole seconds): for measuring
    /// this machine's clock offset.
    pub async fn server_date(&self) -> Result<Option<DateTime<Utc>>, BrokerError> {
        let endpoint = "/v2/market/status/NSE";
        self.standard.acquire().await;
        let response = self
            .request(Method::GET, Host::Api, endpoint, &[])
            .send()
            .await
            .map_err(|e| transport_error(&e, endpoint))?;
        Ok(date_header(&response))
    }

    pub fn hosts(&self) -> &UpstoxHosts {
        &self.hosts
    }

    /// Today's one-minute candles of `key` so far, oldest first (Upstox lists them newest first).
    pub async fn intraday_minutes(&self, key: &str) -> Result<Vec<Candle>, BrokerError> {
        let path = format!(
            "/v3/historical-candle/intraday/{}/minutes/1",
            percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
        );
        let data: CandleData = self.read(&path, &[]).await?;
        let mut candles = readable_rows(
            data.candles,
            "/v3/historical-candle/intraday",
            &self.skipped,
            candle,
        );
        candles.sort_by_key(|c| c.start);
        Ok(candles)
    }

    /// `key`'s candles from `from` to `to` (IST days, both included), oldest first, from Upstox's historical
    /// candles V3 (`minutes/1` or `days/1`), which lists them newest first. At most a month of minutes or a
    /// decade of days a request; Upstox refuses a wider range with UDAPI1148. A row that cannot be read, or is
    /// not a possible bar, is skipped and kept for `take_skipped_rows`.
    pub async fn historical_candles(
        &self,
        key: &str,
        interval: CandleInterval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        const ENDPOINT: &str = "/v3/historical-candle";
        let unit = match interval {
            CandleInterval::Minute => "minutes",
            CandleInterval::Day => "days",
        };
        let path = format!(
            "{ENDPOINT}/{}/{unit}/1/{}/{}",
            percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC),
            to.format("%Y-%m-%d"),
            from.format("%Y-%m-%d"),
        );
        let data: CandleData = read_with_retries(&self.settings, &self.standard, ENDPOINT, || {
            send(self.request(Method::GET, Host::Api, &path, &[]), ENDPOINT)
        })
        .await?;
        let mut candles = readable_rows(data.candles, ENDPOINT, &self.skipped, candle);
        candles.sort_by_key(|c| c.start);
        Ok(candles)
    }

    /// The exchange's session status, e.g. `NORMAL_OPEN`.
    pub async fn market_status(&self, exchange: &str) -> Result<String, BrokerError> {
        let data: MarketStatusData = self
            .read(&format!("/v2/market/status/{exchange}"), &[])
            .await?;
        Ok(data.status)
    }

    /// The current year's NSE closures and special sessions. Rows about other exchanges (MCX evenings, a
    /// settlement holiday) are left out; a row that cannot be read is skipped with a warning, so one bad row
    /// does not hide the others.
    pub async fn holidays(&self) -> Result<Vec<BrokerDay>, BrokerError> {
        let rows = self.read_rows("/v2/market/holidays", &[], |row: HolidayData| {
            Ok(nse_day(&row))
        });
        Ok(rows.await?.into_iter().flatten().collect())
    }

    /// A fresh one-time WebSocket URL for the Market Data Feed V3. Every connect needs its own.
    pub async fn authorize_feed(&self) -> Result<Url, BrokerError> {
        self.authorize("/v3/feed/market-data-feed/authorize", &[])
            .await
    }

    /// A fresh one-time WebSocket URL for the portfolio stream feed, carrying order updates only.
    pub async fn authorize_order_stream(&self) -> Result<Url, BrokerError> {
        let types = [("update_types", ORDER_UPDATES_ONLY.to_string())];
        self.authorize("/v2/feed/portfolio-stream-feed/authorize", &types)
            .await
    }

    async fn authorize(
        &self,
        endpoint: &str,
        query: &[(&str, String)],
    ) -> Result<Url, BrokerError> {
        let data: AuthorizeData = self.read(endpoint, query).await?;
        let uri = data
            .authorized_redirect_uri
            .or(data.authorized_redirect_uri_camel)
            .ok_or_else(|| {
                BrokerError::new(
                    ErrorClass::Malformed,
                    endpoint,
                    "no authorized_redirect_uri in the answer",
                )
            })?;
        Url::parse(&uri).map_err(|e| {
            BrokerError::new(
                ErrorClass::Malformed,
                endpoint,
                format!("bad feed URL: {e}"),
            )
        })
    }

    /// Switches `segments` (`NSE_EQ`, …) off with the kill switch; the segments' states as Upstox then reports
    /// them. Upstox refuses while a segment holds positions (UDAPI1184). Sent once, never retried.
    pub async fn kill_switch(
        &self,
        segments: &[&str],
    ) -> Result<Vec<KillSwitchSegment>, BrokerError> {
        const PATH: &str = "/v2/user/kill-switch";
        let body: Vec<KillSwitchUpdate> = segments
            .iter()
            .map(|segment| KillSwitchUpdate {
                segment: segment.to_string(),
                action: "DISABLE".into(),
            })
            .collect();
        let request = self.request(Method::POST, Host::Api, PATH, &[]).json(&body);
        send(request, PATH).await
    }

    /// Places an order; Upstox may slice it into several, hence several ids.
    pub async fn place_order(&self, body: &PlaceOrderBody) -> Result<Vec<String>, BrokerError> {
        let data: OrderIdsData = self
            .write(Method::POST, "/v3/order/place", &[], Some(body))
            .await?;
        Ok(data.order_ids)
    }

    pub async fn modify_order(&self, body: &ModifyOrderBody) -> Result<String, BrokerError> {
        let data: OrderIdData = self
            .write(Method::PUT, "/v3/order/modify", &[], Some(body))
            .await?;
        Ok(data.order_id)
    }

    pub async fn cancel_order(&self, order_id: &str) -> Result<String, BrokerError> {
        let query = [("order_id", order_id.to_string())];
        let data: OrderIdData = self
            .write::<(), _>(Method::DELETE, "/v3/order/cancel", &query, None)
            .await?;
        Ok(data.order_id)
    }

    pub async fn order_details(&self, order_id: &str) -> Result<OrderReport, BrokerError> {
        let data: OrderData = self
            .read("/v2/order/details", &[("order_id", order_id.to_string())])
            .await?;
        order_report(data)
    }

    /// Every state an order went through.
    pub async fn order_history(&self, order_id: &str) -> Result<Vec<OrderReport>, BrokerError> {
        let query = [("order_id", order_id.to_string())];
        self.read_rows::<OrderData, _>("/v2/order/history", &query, order_report)
            .await
    }

    /// Every state an order went through, found by its tag: how an ambiguous submit is resolved.
    pub async fn order_history_by_tag(&self, tag: &str) -> Result<Vec<OrderReport>, BrokerError> {
        let query = [("tag", tag.to_string())];
        self.read_rows::<OrderData, _>("/v2/order/history", &query, order_report)
            .await
    }

    pub async fn order_book(&self) -> Result<Vec<OrderReport>, BrokerError> {
        self.read_rows::<OrderData, _>("/v2/order/retrieve-all", &[], order_report)
            .await
    }

    pub async fn trades(&self) -> Result<Vec<TradeReport>, BrokerError> {
        let path = "/v2/order/trades/get-trades-for-day";
        self.read_rows::<TradeData, _>(path, &[], trade_report)
            .await
    }

    pub async fn positions(&self) -> Result<Vec<PositionReport>, BrokerError> {
        let path = "/v2/portfolio/short-term-positions";
        self.read_rows::<PositionData, _>(path, &[], position_report)
            .await
    }

    /// A list read row by row (see `readable_rows`): a row that cannot be read is skipped with a warning.
    async fn read_rows<T: DeserializeOwned, R>(
        &self,
        path: &str,
        query: &[(&str, String)],
        convert: impl Fn(T) -> Result<R, BrokerError>,
    ) -> Result<Vec<R>, BrokerError> {
        let raw: Vec<serde_json::Value> = self.read(path, query).await?;
        Ok(readable_rows(raw, path, &self.skipped, convert))
    }

    /// A GET on the API host within the standard budget, retried after a backoff on 429 or a transient failure.
    async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, BrokerError> {
        read_with_retries(&self.settings, &self.standard, path, || {
            send(self.request(Method::GET, Host::Api, path, query), path)
        })
        .await
    }

    /// An order request on the order host within the order budget. Never retried here.
    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, BrokerError> {
        self.orders.acquire().await;
        let mut request = self.request(method, Host::Order, path, query);
        if let Some(name) = &self.algo_name {
            request = request.header("X-Algo-Name", name);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request, path).await
    }

    fn request(
        &self,
        method: Method,
        host: Host,
        path: &str,
        query: &[(&str, String)],
    ) -> RequestBuilder {
        let base = match host {
            Host::Api => &self.hosts.api,
            Host::Order => &self.hosts.order,
        };
        let mut url = base.join(path).expect("paths are static and valid");
        if !query.is_empty() {
            url.set_query(Some(&encode_query(query)));
        }
        let token = self.token.read().unwrap_or_else(|p| p.into_inner());
        let request = self
            .http
            .request(method, url)
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        // Once mandatory on v2 and still sent by the official SDK there; v3 calls go without it.
        if path.starts_with("/v2/") {
            request.header("Api-Version", "2.0")
        } else {
            request
        }
    }
}

/// Percent-encodes each value (`|` as `%7C`, space as `%20`, as Upstox documents) but keeps the commas that
/// separate instrument keys.
fn encode_query(query: &[(&str, String)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    query
        .iter()
        .map(|(name, value)| {
            let encoded: Vec<String> = value
                .split(',')
                .map(|part| utf8_percent_encode(part, VALUE).to_string())
                .collect();
            format!("{name}={}", encoded.join(","))
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn send<T: DeserializeOwned>(
    request: RequestBuilder,
    endpoint: &str,
) -> Result<T, BrokerError> {
    let (status, body) = exchange(request, endpoint).await?;
    read_answer(status, &body, endpoint)
}

/// An answer's `data` out of its envelope, or the classified error: the client's whole reading of a body,
/// apart from the socket (and fuzzed as such).
pub(crate) fn read_answer<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    endpoint: &str,
) -> Result<T, BrokerError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice::<Envelope<T>>(body)
            .map(|envelope| envelope.data)
            .map_err(|e| BrokerError {
                status: Some(status),
                ..BrokerError::new(
                    ErrorClass::Malformed,
                    endpoint,
                    format!("cannot read the answer: {e}"),
                )
            });
    }
    Err(error_from_body(status, body, endpoint))
}

/// The quotes of one LTP answer.
pub(crate) fn ltp_quotes(data: LtpData) -> Result<Vec<LtpQuote>, BrokerError> {
    let endpoint = "/v3/market-quote/ltp";
    data.into_iter()
        .map(|(response_key, entry)| {
            Ok(LtpQuote {
                symbol: response_key
                    .split_once(':')
                    .map_or(response_key.as_str(), |(_, s)| s)
                    .to_string(),
                last_price: price(entry.last_price, endpoint)?,
                last_quantity: entry.ltq,
                previous_close: (entry.cp != 0.0)
                    .then(|| price(entry.cp, endpoint))
                    .transpose()?,
                instrument_key: entry.instrument_token,
            })
        })
        .collect()
}

/// Classifies a failed answer by its UDAPI code when it has one, else by its HTTP status.
pub(crate) fn error_from_body(status: u16, body: &[u8], endpoint: &str) -> BrokerError {
    let problem = serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors.into_iter().next());
    let code = problem.as_ref().and_then(|p| p.code().map(str::to_string));
    let class = match code.as_deref() {
        Some("UDAPI100050") => ErrorClass::Auth,
        Some("UDAPI10005") => ErrorClass::RateLimited,
        _ => ErrorClass::from_status(status),
    };
    let mut message = problem
        .and_then(|p| p.message)
        .unwrap_or_else(|| body_snippet(body));
    if let Some(rule) = code.as_deref().and_then(rule_refusal) {
        message = format!("{message} ({}: {})", rule.meaning, rule.fix);
    }
    BrokerError {
        class,
        code,
        status: Some(status),
        endpoint: endpoint.to_string(),
        message,
    }
}

/// What an Upstox holiday row says of the NSE cash market: closed when NSE is among the closed exchanges, a
/// session when NSE is among the open ones with its hours; nothing otherwise.
fn nse_day(row: &HolidayData) -> Option<BrokerDay> {
    let date = NaiveDate::parse_from_str(&row.date, "%Y-%m-%d").ok()?;
    let name = row.description.clone();
    if let Some(open) = row.open_exchanges.iter().find(|e| e.exchange == "NSE") {
        let local = |ms: i64| DateTime::from_timestamp_millis(ms).map(|t| to_ist(t).time());
        let session = Some((local(open.start_time)?, local(open.end_time)?));
        return Some(BrokerDay {
            date,
            name,
            session,
        });
    }
    let closed =
        row.holiday_type == "TRADING_HOLIDAY" && row.closed_exchanges.iter().any(|e| e == "NSE");
    closed.then_some(BrokerDay {
        date,
        name,
        session: None,
    })
}
