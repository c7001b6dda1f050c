//! Upstox REST bodies as they appear on the wire, for the client to read and the simulator to write.
//!
//! Shapes follow the reference (§5, §6, §9): success envelopes `{status, data, metadata?}`, the error envelope
//! with snake_case and deprecated camelCase keys side by side, LTP keyed `SEGMENT:SYMBOL` with the request key in
//! `instrument_token`. Fields the bot does not need are left out: serde ignores them on read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub status: String,
    pub data: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl<T> Envelope<T> {
    pub fn success(data: T) -> Self {
        Envelope {
            status: "success".into(),
            data,
            metadata: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    pub latency: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub status: String,
    #[serde(default)]
    pub errors: Vec<Problem>,
}

/// One problem of an error envelope. Upstox sends both spellings; snake_case is current.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default, rename = "errorCode")]
    pub error_code_camel: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub property_path: Option<String>,
    #[serde(default, rename = "propertyPath")]
    pub property_path_camel: Option<String>,
    #[serde(default)]
    pub invalid_value: serde_json::Value,
    #[serde(default, rename = "invalidValue")]
    pub invalid_value_camel: serde_json::Value,
}

impl Problem {
    pub fn new(code: &str, message: &str) -> Self {
        Problem {
            error_code: Some(code.into()),
            error_code_camel: Some(code.into()),
            message: Some(message.into()),
            ..Problem::default()
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .or(self.error_code_camel.as_deref())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileData {
    pub user_id: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub broker: String,
    #[serde(default)]
    pub exchanges: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub order_types: Vec<String>,
    #[serde(default)]
    pub is_active: bool,
}

/// `POST /v2/login/authorization/token`: flat (no `status` / `data` envelope), the profile's fields and the
/// access token. No `Debug`, so the token cannot reach a log by accident.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenData {
    #[serde(flatten)]
    pub profile: ProfileData,
    pub access_token: String,
}

/// `GET /v3/market-quote/ltp`: data keyed `SEGMENT:SYMBOL`.
pub type LtpData = BTreeMap<String, LtpEntry>;

/// `data` of a candle call: rows `[start, open, high, low, close, volume, oi]`, read row by row.
#[derive(Debug, Deserialize)]
pub struct CandleData {
    #[serde(default)]
    pub candles: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LtpEntry {
    pub last_price: f64,
    pub instrument_token: String,
    #[serde(default)]
    pub ltq: i64,
    #[serde(default)]
    pub volume: i64,
    #[serde(default)]
    pub cp: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizeData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_redirect_uri: Option<String>,
    #[serde(
        default,
        rename = "authorizedRedirectUri",
        skip_serializing_if = "Option::is_none"
    )]
    pub authorized_redirect_uri_camel: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarketStatusData {
    pub exchange: String,
    pub status: String,
    #[serde(default)]
    pub last_updated: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HolidayData {
    pub date: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub holiday_type: String,
    #[serde(default)]
    pub closed_exchanges: Vec<String>,
    #[serde(default)]
    pub open_exchanges: Vec<ExchangeTiming>,
}

/// An exchange trading on a listed day, with its hours in epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeTiming {
    pub exchange: String,
    pub start_time: i64,
    pub end_time: i64,
}

/// `POST /v3/order/place`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceOrderBody {
    pub quantity: u32,
    pub product: String,
    pub validity: String,
    pub price: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub instrument_token: String,
    pub order_type: String,
    pub transaction_type: String,
    #[serde(default)]
    pub disclosed_quantity: u32,
    #[serde(default)]
    pub trigger_price: f64,
    #[serde(default)]
    pub is_amo: bool,
    #[serde(default)]
    pub slice: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_protection: Option<f64>,
}

/// `PUT /v3/order/modify`; absent optional fields keep the order's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModifyOrderBody {
    pub order_id: String,
    pub order_type: String,
    pub price: f64,
    pub trigger_price: f64,
    pub validity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderIdsData {
    pub order_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderIdData {
    pub order_id: String,
}

/// A row of the order book, order details and order history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderData {
    pub order_id: String,
    #[serde(default)]
    pub exchange: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub quantity: u32,
    pub status: String,
    #[serde(default)]
    pub tag: Option<String>,
    pub instrument_token: String,
    #[serde(default)]
    pub trading_symbol: String,
    #[serde(default)]
    pub order_type: String,
    #[serde(default)]
    pub validity: String,
    #[serde(default)]
    pub trigger_price: f64,
    pub transaction_type: String,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub filled_quantity: u32,
    #[serde(default)]
    pub pending_quantity: u32,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub order_timestamp: Option<String>,
    #[serde(default)]
    pub variety: String,
    #[serde(default)]
    pub is_amo: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TradeData {
    pub trade_id: String,
    pub order_id: String,
    #[serde(default)]
    pub exchange: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub trading_symbol: String,
    pub instrument_token: String,
    #[serde(default)]
    pub order_type: String,
    pub transaction_type: String,
    pub quantity: u32,
    pub average_price: f64,
    #[serde(default)]
    pub exchange_timestamp: Option<String>,
    #[serde(default)]
    pub order_timestamp: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PositionData {
    #[serde(default)]
    pub exchange: String,
    #[serde(default)]
    pub product: String,
    pub instrument_token: String,
    #[serde(default)]
    pub trading_symbol: String,
    /// Net quantity: positive long, negative short.
    pub quantity: i64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub pnl: f64,
    #[serde(default)]
    pub realised: f64,
    #[serde(default)]
    pub unrealised: f64,
    #[serde(default)]
    pub day_buy_quantity: i64,
    #[serde(default)]
    pub day_sell_quantity: i64,
    #[serde(default)]
    pub day_buy_price: f64,
    #[serde(default)]
    pub day_sell_price: f64,
}

/// One segment to switch on or off with the kill switch (`POST /v2/user/kill-switch` takes a list of them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KillSwitchUpdate {
    /// `NSE_EQ`, `BSE_EQ`, …
    pub segment: String,
    /// `ENABLE` or `DISABLE`.
    pub action: String,
}

/// A segment's state as the kill switch reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KillSwitchSegment {
    pub segment: String,
    #[serde(default)]
    pub segment_status: Option<String>,
    #[serde(default)]
    pub kill_switch_enabled: Option<bool>,
}
