//! HDFC Sky's REST JSON shapes, shared by the client and the simulator so the two cannot drift apart.
//!
//! Field names are HDFC Sky's own (snake_case on trading calls, camelCase on login calls). Numbers that the
//! docs show sometimes as text and sometimes as numbers (tokens, order ids) are read either way.

use serde::{Deserialize, Deserializer, Serialize};

/// The trading APIs' success envelope: `{"status":"success","message":…,"data":{…}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub status: String,
    #[serde(default)]
    pub message: String,
    pub data: T,
}

impl<T> Envelope<T> {
    pub fn success(data: T) -> Self {
        Envelope {
            status: "success".into(),
            message: "success".into(),
            data,
        }
    }
}

/// The error envelope: `{"status":"error","message":…,"error_code":40000,"data":{}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// A number HDFC Sky may send as `2885` or `"2885"`.
pub fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Text(t)) => t,
        Some(Either::Number(n)) => n.to_string(),
        None => String::new(),
    })
}

// ---- login (camelCase, no envelope) ----

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginStart {
    pub token_id: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginProgress {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub login_id: String,
    /// Where the OTP went, e.g. "OTP sent to mobile ******1234".
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub two_fa_enabled: bool,
    #[serde(default)]
    pub twofa: TwoFa,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TwoFa {
    #[serde(default)]
    pub questions: Vec<TwoFaQuestion>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TwoFaQuestion {
    pub question: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestTokenData {
    pub request_token: String,
    #[serde(default)]
    pub callback_url: String,
    #[serde(default)]
    pub authorised: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenData {
    pub access_token: String,
}

// ---- account ----

#[derive(Debug, Serialize, Deserialize)]
pub struct TradingInfo {
    pub client_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub exchanges_subscribed: Vec<String>,
    #[serde(default)]
    pub products_enabled: Vec<String>,
    #[serde(default)]
    pub status: String,
}

/// `data` of `GET /oapi/v1/funds/view?type=all`: a label/value table (`values: [["Available Margin", "8239.85"],
/// …]`) with the MTM figures also by name. Values and rows are kept as sent; `funds::read_funds` reads them.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FundsView {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub values: Vec<serde_json::Value>,
    #[serde(default)]
    pub realized_mtm: serde_json::Value,
    #[serde(default)]
    pub unrealized_mtm: serde_json::Value,
}

// ---- market data ----

#[derive(Debug, Serialize, Deserialize)]
pub struct LtpRequest {
    pub data: Vec<LtpItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LtpItem {
    pub exchange: String,
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LtpResponse {
    pub data: Vec<LtpRow>,
    #[serde(default)]
    pub meta: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LtpRow {
    pub ltp: f64,
    #[serde(default)]
    pub prev_close: f64,
    pub exchange: String,
    pub token: u64,
}

// ---- orders ----

/// Place (and, with `oms_order_id`, modify) a regular order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderBody {
    pub exchange: String,
    pub instrument_token: String,
    pub client_id: String,
    /// LIMIT or SL: an API key's MARKET and SLM orders are refused with 403.
    pub order_type: String,
    pub order_side: String,
    pub product: String,
    pub quantity: u32,
    pub price: f64,
    pub trigger_price: f64,
    pub disclosed_quantity: u32,
    pub validity: String,
    pub device: String,
    pub execution_type: String,
    pub amo: bool,
    /// A number the caller makes up; dalal derives it from its order tag.
    pub user_order_id: u64,
}

/// The "Modify Regular Order" body, as documented: exactly these fields (no side, device, amo or
/// user_order_id). The documentation's example sends numbers as strings, so a reader takes either form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModifyBody {
    pub exchange: String,
    #[serde(deserialize_with = "text_or_number")]
    pub instrument_token: String,
    pub client_id: String,
    #[serde(deserialize_with = "text_or_number")]
    pub oms_order_id: String,
    pub order_type: String,
    pub product: String,
    #[serde(deserialize_with = "number_or_text")]
    pub quantity: u32,
    #[serde(deserialize_with = "number_or_text")]
    pub price: f64,
    #[serde(deserialize_with = "number_or_text")]
    pub trigger_price: f64,
    #[serde(deserialize_with = "number_or_text")]
    pub disclosed_quantity: u32,
    pub validity: String,
    pub execution_type: String,
}

impl ModifyBody {
    /// The change of order `oms_order_id` to what `body` asks.
    pub fn of(body: &OrderBody, oms_order_id: &str) -> ModifyBody {
        ModifyBody {
            exchange: body.exchange.clone(),
            instrument_token: body.instrument_token.clone(),
            client_id: body.client_id.clone(),
            oms_order_id: oms_order_id.to_string(),
            order_type: body.order_type.clone(),
            product: body.product.clone(),
            quantity: body.quantity,
            price: body.price,
            trigger_price: body.trigger_price,
            disclosed_quantity: body.disclosed_quantity,
            validity: body.validity.clone(),
            execution_type: body.execution_type.clone(),
        }
    }
}

/// A number sent as a number or as its text (`"1550.5"`).
fn number_or_text<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + serde::de::DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Number(T),
        Text(String),
    }
    match Either::<T>::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a number"))),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OrderIdData {
    #[serde(deserialize_with = "text_or_number")]
    pub oms_order_id: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub user_order_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderRow {
    #[serde(deserialize_with = "text_or_number")]
    pub oms_order_id: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub user_order_id: String,
    #[serde(default)]
    pub trading_symbol: String,
    #[serde(deserialize_with = "text_or_number")]
    pub instrument_token: String,
    pub exchange: String,
    pub order_side: String,
    pub order_type: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub validity: String,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub trigger_price: f64,
    pub quantity: u32,
    #[serde(default)]
    pub filled_quantity: u32,
    #[serde(default)]
    pub remaining_quantity: u32,
    #[serde(default)]
    pub average_price: f64,
    pub order_status: String,
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// When the order entered HDFC Sky's book, in epoch seconds.
    #[serde(default)]
    pub order_entry_time: Option<i64>,
    /// When the exchange last acted on the order, in epoch seconds.
    #[serde(default)]
    pub exchange_time: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TradeRow {
    #[serde(deserialize_with = "text_or_number")]
    pub trade_number: String,
    pub trade_price: f64,
    pub trade_quantity: u32,
    /// Epoch seconds.
    #[serde(default)]
    pub trade_time: Option<i64>,
    #[serde(deserialize_with = "text_or_number")]
    pub oms_order_id: String,
    #[serde(default)]
    pub trading_symbol: String,
    #[serde(deserialize_with = "text_or_number")]
    pub instrument_token: String,
    #[serde(default)]
    pub exchange: String,
    pub order_side: String,
    #[serde(default)]
    pub product: String,
}

/// One row of `GET /oapi/v1/positions` (its `data` is a flat list). Day-wise (`type=live`), the quantities,
/// amounts and averages cover the day's trades; `cf_*` are what was carried forward from earlier days.
#[derive(Debug, Serialize, Deserialize)]
pub struct PositionRow {
    pub net_quantity: i64,
    #[serde(default)]
    pub buy_quantity: i64,
    #[serde(default)]
    pub sell_quantity: i64,
    #[serde(default)]
    pub average_buy_price: f64,
    #[serde(default)]
    pub average_sell_price: f64,
    #[serde(default)]
    pub buy_amount: f64,
    #[serde(default)]
    pub sell_amount: f64,
    /// `sell_amount - buy_amount`.
    #[serde(default)]
    pub net_amount: f64,
    /// Rupees per point of price per unit of quantity: 1 for cash equities, whose P&L is
    /// `(sell_amount - buy_amount) + net_quantity × ltp × multiplier`.
    #[serde(default = "one")]
    pub multiplier: f64,
    #[serde(default)]
    pub realized_mtm: f64,
    #[serde(default)]
    pub ltp: f64,
    #[serde(default)]
    pub previous_close: f64,
    #[serde(default)]
    pub product: String,
    /// The product as its code: NRML 0, CNC 1, MIS 2.
    #[serde(default)]
    pub prod_type: i64,
    pub exchange: String,
    #[serde(deserialize_with = "text_or_number")]
    pub instrument_token: String,
    /// The same exchange token as `instrument_token`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub token: String,
    /// With its series, as the security master names it (`RELIANCE-EQ`).
    #[serde(default)]
    pub trading_symbol: String,
    /// Without its series (`RELIANCE`).
    #[serde(default)]
    pub symbol: String,
    /// `Capital` for cash, `FutOpt` for derivatives.
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub cf_buy_quantity: i64,
    #[serde(default)]
    pub cf_buy_amount: f64,
    #[serde(default)]
    pub cf_sell_quantity: i64,
    #[serde(default)]
    pub cf_sell_amount: f64,
}

fn one() -> f64 {
    1.0
}
