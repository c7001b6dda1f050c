//! The HDFC Sky REST client: trading info, `fetch-ltp`, chart candles, orders, the order and trade books,
//! positions, funds.
//!
//! Every call follows HDFC Sky's conventions: the bare token in `Authorization` (no `Bearer`), `api_key` in the
//! query string, a browser-like `User-Agent` (calls without one are refused), and `client_id` (the token's
//! `sub`) where the account endpoints want it. One host serves a whole login: a token issued by the UAT host is
//! refused by production. Errors are classified by `rest_errors`, including the ones inside an HTTP 200.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::access_token::TokenClaims;
use super::chart_candles;
use super::funds::{self, Funds};
use super::rest_errors::classify;
use super::rest_types::{
    Envelope, FundsView, LtpItem, LtpRequest, LtpResponse, ModifyBody, OrderBody, OrderIdData,
    OrderRow, PositionRow, TradingInfo,
};
use super::scrip::ScripId;
use super::wire_convert::{position_report, trade_report};
use crate::broker::http_policy::{date_header, exchange, read_with_retries, transport_error};
use crate::broker::{
    BrokerError, ErrorClass, LtpQuote, PositionReport, Profile, RateLimit, RestSettings, RowSkips,
    SkippedRow, TradeReport, readable_rows,
};
use crate::config::{Secret, TokenWatch};
use crate::domain::{Candle, CandleInterval, InstrumentId, decimal_from_wire};

/// `fetch-ltp` answers at most this many instruments; an 11th fails the whole request.
pub const LTP_ITEMS_PER_CALL: usize = 10;

/// A desktop browser's, as HDFC Sky's own samples send: its edge refuses calls without a browser-like agent.
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                              Chrome/123.0.0.0 Safari/537.36";

pub const PRODUCTION: &str = "https://developer.hdfcsky.com";

/// The token with the client id read out of it: they change together.
struct Session {
    token: Secret,
    client_id: String,
}

pub struct HdfcSkyRest {
    http: reqwest::Client,
    base: Url,
    api_key: Secret,
    session: RwLock<Session>,
    standard: Arc<RateLimit>,
    orders: Arc<RateLimit>,
    settings: RestSettings,
    skipped: RowSkips,
}

impl HdfcSkyRest {
    /// A client for one host (`PRODUCTION`, the UAT host, or a simulator), with the app's API key and a login's token.
    pub fn new(
        base: Url,
        api_key: Secret,
        token: Secret,
        settings: RestSettings,
    ) -> Result<Self, BrokerError> {
        let client_id = TokenClaims::read(&token)?.client_id;
        let standard = RateLimit::shared(&base, "standard", settings.standard_budget);
        let orders = RateLimit::shared(&base, "orders", settings.order_budget);
        Ok(HdfcSkyRest {
            http: http_client(&settings)?,
            base,
            api_key,
            session: RwLock::new(Session { token, client_id }),
            standard,
            orders,
            settings,
            skipped: RowSkips::default(),
        })
    }

    /// The list rows skipped since the last call (see `readable_rows`).
    pub fn take_skipped_rows(&self) -> Vec<SkippedRow> {
        self.skipped.take()
    }

    /// Uses a token from a new login.
    pub fn set_token(&self, token: Secret) -> Result<(), BrokerError> {
        let client_id = TokenClaims::read(&token)?.client_id;
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = Session { token, client_id };
        Ok(())
    }

    /// Takes the token at `tokens`' source when it changed (after a 401); true when a new one is now in use.
    pub fn take_fresh_token(&self, tokens: &TokenWatch) -> bool {
        let Some(token) = tokens.fresh() else {
            return false;
        };
        match self.set_token(token) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!("the re-read HDFC Sky token cannot be used: {e}");
                false
            }
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    pub fn token(&self) -> Secret {
        self.session().token.clone()
    }

    pub fn client_id(&self) -> String {
        self.session().client_id.clone()
    }

    fn session(&self) -> std::sync::RwLockReadGuard<'_, Session> {
        self.session.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The account behind the token: HDFC Sky's cheapest authenticated call.
    pub async fn profile(&self) -> Result<Profile, BrokerError> {
        let info: TradingInfo = self.read("/oapi/v1/user/trading_info", true).await?;
        Ok(Profile {
            user_id: info.client_id,
            user_name: info.name,
            broker: "HDFC Sky".into(),
        })
    }

    /// Last price and previous close, ten instruments a request; each request waits its turn in the budget.
    pub async fn fetch_ltp(&self, scrips: &[ScripId]) -> Result<Vec<LtpQuote>, BrokerError> {
        let endpoint = "/oapi/v1/fetch-ltp";
        let mut quotes = Vec::with_capacity(scrips.len());
        for batch in scrips.chunks(LTP_ITEMS_PER_CALL) {
            let body = LtpRequest {
                data: batch
                    .iter()
                    .map(|s| LtpItem {
                        exchange: s.segment.prefix().into(),
                        token: s.token.to_string(),
                    })
                    .collect(),
            };
            let answer: LtpResponse =
                read_with_retries(&self.settings, &self.standard, endpoint, || {
                    send_raw(
                        self.request(Method::PUT, endpoint, false).json(&body),
                        endpoint,
                    )
                })
                .await?;
            quotes.extend(ltp_quotes(answer)?);
        }
        Ok(quotes)
    }

    /// HDFC Sky's clock, from the `Date` header of a trading-info call: for measuring this machine's offset.
    pub async fn server_date(&self) -> Result<Option<DateTime<Utc>>, BrokerError> {
        let endpoint = "/oapi/v1/user/trading_info";
        self.standard.acquire().await;
        let response = self
            .request(Method::GET, endpoint, true)
            .send()
            .await
            .map_err(|e| transport_error(&e, endpoint))?;
        Ok(date_header(&response))
    }

    /// Places an order; its `client_id` is filled in here. Returns the OMS order id.
    pub async fn place_order(&self, body: &OrderBody) -> Result<String, BrokerError> {
        let body = OrderBody {
            client_id: self.client_id(),
            ..body.clone()
        };
        let data: OrderIdData = self
            .write(Method::POST, "/oapi/v1/orders", Some(&body))
            .await?;
        Ok(data.oms_order_id)
    }

    /// Changes order `order_id` to what `body` asks, in the documented modify body (see `ModifyBody`).
    pub async fn modify_order(&self, order_id: &str, body: &OrderBody) -> Result<(), BrokerError> {
        let body = ModifyBody {
            client_id: self.client_id(),
            ..ModifyBody::of(body, order_id)
        };
        self.write::<_, OrderIdData>(Method::PUT, "/oapi/v1/orders", Some(&body))
            .await
            .map(|_| ())
    }

    pub async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError> {
        let path = format!("/oapi/v1/orders/{order_id}?execution_type=REGULAR");
        self.write::<(), OrderIdData>(Method::DELETE, &path, None)
            .await
            .map(|_| ())
    }

    /// Today's orders: the pending list, then the completed one. An order that completed between the two reads
    /// is in both; it is kept once, as the later read saw it, or its fills would be counted twice.
    /// Each list is read row by row (see `readable_rows`): a row of a kind dalal does not read (a CDS order) is
    /// skipped with a warning, not allowed to hide the others.
    pub async fn order_rows(&self) -> Result<Vec<OrderRow>, BrokerError> {
        let mut rows = Vec::new();
        for kind in ["pending", "completed"] {
            let path = format!("/oapi/v1/orders?type={kind}");
            let data: RawList = self.read(&path, true).await?;
            rows.extend(readable_rows(
                data.orders,
                endpoint_of(&path),
                &self.skipped,
                Ok,
            ));
        }
        Ok(latest_per_order(rows))
    }

    pub async fn trades(&self) -> Result<Vec<TradeReport>, BrokerError> {
        let path = "/oapi/v1/trades";
        let data: RawList = self.read(path, true).await?;
        Ok(readable_rows(
            data.trades,
            path,
            &self.skipped,
            trade_report,
        ))
    }

    /// Today's (day-wise) positions, read row by row.
    pub async fn positions(&self) -> Result<Vec<PositionReport>, BrokerError> {
        let path = "/oapi/v1/positions?type=live";
        let raw: Vec<serde_json::Value> = self.read(path, true).await?;
        Ok(readable_rows::<PositionRow, _>(
            raw,
            endpoint_of(path),
            &self.skipped,
            position_report,
        ))
    }

    /// The account's available margin and MTM, from the V1 funds view (the documented V2 path answers 404).
    pub async fn funds(&self) -> Result<Funds, BrokerError> {
        let view: FundsView = self.read(funds::QUERY, true).await?;
        funds::read_funds(view)
    }

    /// `instrument`'s one-minute candles of `day` so far, oldest first, from the chart API.
    pub async fn minute_candles(
        &self,
        instrument: &InstrumentId,
        day: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        self.chart_candles(instrument, CandleInterval::Minute, day, day)
            .await
    }

    /// `instrument`'s candles from `start` to `end` (IST days, both included), oldest first, from the chart API
    /// (which lists them in no order). A row that cannot be read, or is not a possible bar, is skipped and kept
    /// for `take_skipped_rows`.
    pub async fn chart_candles(
        &self,
        instrument: &InstrumentId,
        interval: CandleInterval,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        let path = chart_candles::query(instrument, interval, start, end);
        let answer = read_with_retries(
            &self.settings,
            &self.standard,
            chart_candles::ENDPOINT,
            || {
                send_raw(
                    self.request(Method::GET, &path, false),
                    chart_candles::ENDPOINT,
                )
            },
        )
        .await?;
        Ok(chart_candles::candle_rows(answer, &self.skipped))
    }

    /// A GET within the standard budget, retried on 429 and transient failures.
    async fn read<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        with_client_id: bool,
    ) -> Result<T, BrokerError> {
        let endpoint = endpoint_of(path_and_query);
        read_with_retries(&self.settings, &self.standard, endpoint, || {
            send(
                self.request(Method::GET, path_and_query, with_client_id),
                endpoint,
            )
        })
        .await
    }

    /// An order call within the order budget. Never retried here.
    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<T, BrokerError> {
        let endpoint = endpoint_of(path_and_query);
        self.orders.acquire().await;
        let mut request = self.request(method, path_and_query, true);
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request, endpoint).await
    }

    fn request(
        &self,
        method: Method,
        path_and_query: &str,
        with_client_id: bool,
    ) -> RequestBuilder {
        let mut url = self.base.join(path_and_query).expect("paths are valid");
        let session = self.session();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("api_key", self.api_key.expose());
            if with_client_id {
                query.append_pair("client_id", &session.client_id);
            }
        }
        self.http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, session.token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
    }
}

pub(super) fn http_client(settings: &RestSettings) -> Result<reqwest::Client, BrokerError> {
    crate::broker::http_policy::http_client(USER_AGENT, settings)
}

/// The path alone, for errors and logs: the query holds the API key.
fn endpoint_of(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

/// The quotes of one `fetch-ltp` answer; a row for a segment dalal does not know is left out.
pub(crate) fn ltp_quotes(answer: LtpResponse) -> Result<Vec<LtpQuote>, BrokerError> {
    let endpoint = "/oapi/v1/fetch-ltp";
    let mut quotes = Vec::with_capacity(answer.data.len());
    for row in answer.data {
        let Some(scrip) = ScripId::from_exchange(&row.exchange, row.token) else {
            continue;
        };
        quotes.push(LtpQuote {
            instrument_key: scrip.to_string(),
            symbol: scrip.to_string(),
            last_price: wire_price(row.ltp, endpoint)?,
            last_quantity: 0,
            previous_close: (row.prev_close > 0.0)
                .then(|| wire_price(row.prev_close, endpoint))
                .transpose()?,
        });
    }
    Ok(quotes)
}

fn wire_price(value: f64, endpoint: &str) -> Result<rust_decimal::Decimal, BrokerError> {
    decimal_from_wire(value)
        .map_err(|e| BrokerError::new(ErrorClass::Malformed, endpoint, format!("a price: {e}")))
}

/// A trading call's `data`, out of its envelope; `status:"error"` inside an HTTP 200 is a failure.
async fn send<T: DeserializeOwned>(
    request: RequestBuilder,
    endpoint: &str,
) -> Result<T, BrokerError> {
    let envelope: Envelope<serde_json::Value> = send_raw(request, endpoint).await?;
    serde_json::from_value(envelope.data).map_err(|e| malformed(endpoint, 200, &e))
}

/// Any JSON answer, whole; an error body or `status:"error"` becomes a classified error.
pub(super) async fn send_raw<T: DeserializeOwned>(
    request: RequestBuilder,
    endpoint: &str,
) -> Result<T, BrokerError> {
    let (status, body) = exchange(request, endpoint).await?;
    read_answer(status, &body, endpoint)
}

/// A whole answer, or the classified error: the client's reading of a body apart from the socket (and fuzzed
/// as such).
pub(crate) fn read_answer<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    endpoint: &str,
) -> Result<T, BrokerError> {
    if !(200..300).contains(&status) {
        return Err(classify(status, body, endpoint));
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| malformed(endpoint, status, &e))?;
    if value
        .get("status")
        .and_then(|s| s.as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("error"))
    {
        return Err(classify(status, body, endpoint));
    }
    serde_json::from_value(value).map_err(|e| malformed(endpoint, status, &e))
}

fn malformed(endpoint: &str, status: u16, e: &serde_json::Error) -> BrokerError {
    BrokerError {
        status: Some(status),
        ..BrokerError::new(
            ErrorClass::Malformed,
            endpoint,
            format!("cannot read the answer: {e}"),
        )
    }
}

/// HDFC Sky's order and trade lists, their rows left unread until `readable_rows`.
#[derive(serde::Deserialize)]
pub(crate) struct RawList {
    #[serde(default)]
    pub(crate) orders: Vec<serde_json::Value>,
    #[serde(default)]
    pub(crate) trades: Vec<serde_json::Value>,
}

/// One row per order id, the last one read, in the order the ids first appeared.
fn latest_per_order(rows: Vec<OrderRow>) -> Vec<OrderRow> {
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<OrderRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match position.get(&row.oms_order_id) {
            Some(&i) => kept[i] = row,
            None => {
                position.insert(row.oms_order_id.clone(), kept.len());
                kept.push(row);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, status: &str, filled: u32) -> OrderRow {
        serde_json::from_value(serde_json::json!({
            "oms_order_id": id, "instrument_token": "3045", "exchange": "NSE", "order_side": "SELL",
            "order_type": "LIMIT", "quantity": 10, "filled_quantity": filled, "order_status": status,
        }))
        .unwrap()
    }

    #[test]
    fn an_order_in_both_lists_is_kept_once_as_last_read() {
        let rows = vec![
            row("A", "OPEN", 0),
            row("B", "PARTIALLY FILLED", 4),
            row("B", "COMPLETE", 10),
            row("C", "COMPLETE", 10),
        ];
        let kept = latest_per_order(rows);
        let seen: Vec<(&str, u32)> = kept
            .iter()
            .map(|r| (r.oms_order_id.as_str(), r.filled_quantity))
            .collect();
        assert_eq!(seen, [("A", 0), ("B", 10), ("C", 10)]);
    }
}
