//! The Market Data Feed V3 protobuf schema (`com.upstox.marketdatafeederv3udapi.rpc.proto`), written from the
//! reference, including the September 2026 closing-auction additions.
//!
//! The messages are declared with prost's derive rather than generated, so the build needs no `protoc`. Each
//! also serializes to the protobuf JSON mapping that Upstox's Python SDK hands its users (camelCase names,
//! int64 as strings, enums by name, defaults left out), which is how the conformance tests prove that decoding
//! loses nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::proto_json::{
    enum_map, enum_name, int64_text, is_false, is_zero_f64, is_zero_i32, is_zero_i64, wrapped_f64,
};

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct FeedResponse {
    #[prost(enumeration = "FrameType", tag = "1")]
    #[serde(
        rename = "type",
        skip_serializing_if = "is_zero_i32",
        serialize_with = "enum_name::<FrameType, _>"
    )]
    pub frame_type: i32,
    #[prost(btree_map = "string, message", tag = "2")]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub feeds: BTreeMap<String, Feed>,
    #[prost(int64, tag = "3")]
    #[serde(
        rename = "currentTs",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub current_ts: i64,
    #[prost(message, optional, tag = "4")]
    #[serde(rename = "marketInfo", skip_serializing_if = "Option::is_none")]
    pub market_info: Option<MarketInfo>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum FrameType {
    InitialFeed = 0,
    LiveFeed = 1,
    MarketInfo = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum RequestMode {
    Ltpc = 0,
    FullD5 = 1,
    OptionGreeks = 2,
    FullD30 = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MarketStatus {
    PreOpenStart = 0,
    PreOpenEnd = 1,
    NormalOpen = 2,
    NormalClose = 3,
    ClosingStart = 4,
    ClosingEnd = 5,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct Feed {
    #[prost(oneof = "FeedUnion", tags = "1, 2, 3")]
    #[serde(flatten)]
    pub feed_union: Option<FeedUnion>,
    #[prost(enumeration = "RequestMode", tag = "4")]
    #[serde(
        rename = "requestMode",
        skip_serializing_if = "is_zero_i32",
        serialize_with = "enum_name::<RequestMode, _>"
    )]
    pub request_mode: i32,
}

#[derive(Clone, PartialEq, prost::Oneof, Serialize)]
pub enum FeedUnion {
    #[prost(message, tag = "1")]
    #[serde(rename = "ltpc")]
    Ltpc(Ltpc),
    #[prost(message, tag = "2")]
    #[serde(rename = "fullFeed")]
    FullFeed(FullFeed),
    #[prost(message, tag = "3")]
    #[serde(rename = "firstLevelWithGreeks")]
    FirstLevelWithGreeks(FirstLevelWithGreeks),
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct FullFeed {
    #[prost(oneof = "FullFeedUnion", tags = "1, 2")]
    #[serde(flatten)]
    pub full_feed_union: Option<FullFeedUnion>,
}

#[derive(Clone, PartialEq, prost::Oneof, Serialize)]
pub enum FullFeedUnion {
    #[prost(message, tag = "1")]
    #[serde(rename = "marketFF")]
    MarketFf(MarketFullFeed),
    #[prost(message, tag = "2")]
    #[serde(rename = "indexFF")]
    IndexFf(IndexFullFeed),
}

/// Last traded price, time and quantity, and the previous close.
#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct Ltpc {
    #[prost(double, tag = "1")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub ltp: f64,
    /// Epoch milliseconds.
    #[prost(int64, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub ltt: i64,
    #[prost(int64, tag = "3")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub ltq: i64,
    #[prost(double, tag = "4")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub cp: f64,
    /// Indicative equilibrium price, present only in pre-open and the closing auction.
    #[prost(message, optional, tag = "5")]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "wrapped_f64"
    )]
    pub iep: Option<DoubleValue>,
}

/// `google.protobuf.DoubleValue`: a double whose presence is visible on the wire.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct DoubleValue {
    #[prost(double, tag = "1")]
    pub value: f64,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct MarketFullFeed {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    #[serde(rename = "marketLevel", skip_serializing_if = "Option::is_none")]
    pub market_level: Option<MarketLevel>,
    #[prost(message, optional, tag = "3")]
    #[serde(rename = "optionGreeks", skip_serializing_if = "Option::is_none")]
    pub option_greeks: Option<OptionGreeks>,
    #[prost(message, optional, tag = "4")]
    #[serde(rename = "marketOHLC", skip_serializing_if = "Option::is_none")]
    pub market_ohlc: Option<MarketOhlc>,
    #[prost(double, tag = "5")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub atp: f64,
    #[prost(int64, tag = "6")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub vtt: i64,
    #[prost(double, tag = "7")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub oi: f64,
    #[prost(double, tag = "8")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub iv: f64,
    #[prost(double, tag = "9")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub tbq: f64,
    #[prost(double, tag = "10")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub tsq: f64,
    #[prost(double, tag = "11")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub iep: f64,
    #[prost(double, tag = "12")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub rp: f64,
    #[prost(int64, tag = "13")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub ieq: i64,
    /// Total indicative imbalance quantity; negative when sellers dominate.
    #[prost(int64, tag = "14")]
    #[serde(
        rename = "iiqTotal",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub iiq_total: i64,
    #[prost(int64, tag = "15")]
    #[serde(
        rename = "iiqM",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub iiq_m: i64,
    #[prost(bool, tag = "16")]
    #[serde(rename = "casEligible", skip_serializing_if = "is_false")]
    pub cas_eligible: bool,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct IndexFullFeed {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    #[serde(rename = "marketOHLC", skip_serializing_if = "Option::is_none")]
    pub market_ohlc: Option<MarketOhlc>,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct FirstLevelWithGreeks {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    #[serde(rename = "firstDepth", skip_serializing_if = "Option::is_none")]
    pub first_depth: Option<Quote>,
    #[prost(message, optional, tag = "3")]
    #[serde(rename = "optionGreeks", skip_serializing_if = "Option::is_none")]
    pub option_greeks: Option<OptionGreeks>,
    #[prost(int64, tag = "4")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub vtt: i64,
    #[prost(double, tag = "5")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub oi: f64,
    #[prost(double, tag = "6")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub iv: f64,
}

/// Order-book depth; index 0 is the best level.
#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct MarketLevel {
    #[prost(message, repeated, tag = "1")]
    #[serde(rename = "bidAskQuote", skip_serializing_if = "Vec::is_empty")]
    pub bid_ask_quote: Vec<Quote>,
}

/// One depth level: a bid and an ask.
#[derive(Clone, Copy, PartialEq, prost::Message, Serialize)]
pub struct Quote {
    #[prost(int64, tag = "1")]
    #[serde(
        rename = "bidQ",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub bid_q: i64,
    #[prost(double, tag = "2")]
    #[serde(rename = "bidP", skip_serializing_if = "is_zero_f64")]
    pub bid_p: f64,
    #[prost(int64, tag = "3")]
    #[serde(
        rename = "askQ",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub ask_q: i64,
    #[prost(double, tag = "4")]
    #[serde(rename = "askP", skip_serializing_if = "is_zero_f64")]
    pub ask_p: f64,
}

#[derive(Clone, Copy, PartialEq, prost::Message, Serialize)]
pub struct OptionGreeks {
    #[prost(double, tag = "1")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub delta: f64,
    #[prost(double, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub theta: f64,
    #[prost(double, tag = "3")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub gamma: f64,
    #[prost(double, tag = "4")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub vega: f64,
    #[prost(double, tag = "5")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub rho: f64,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct MarketOhlc {
    #[prost(message, repeated, tag = "1")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ohlc: Vec<Ohlc>,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct Ohlc {
    /// `1d` or `I1` (one minute).
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interval: String,
    #[prost(double, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub open: f64,
    #[prost(double, tag = "3")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub high: f64,
    #[prost(double, tag = "4")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub low: f64,
    #[prost(double, tag = "5")]
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub close: f64,
    #[prost(int64, tag = "6")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub vol: i64,
    /// Candle start, epoch milliseconds.
    #[prost(int64, tag = "7")]
    #[serde(skip_serializing_if = "is_zero_i64", serialize_with = "int64_text")]
    pub ts: i64,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct MarketInfo {
    #[prost(btree_map = "string, enumeration(MarketStatus)", tag = "1")]
    #[serde(
        rename = "segmentStatus",
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "enum_map::<MarketStatus, _>"
    )]
    pub segment_status: BTreeMap<String, i32>,
    #[prost(btree_map = "string, message", tag = "2")]
    #[serde(rename = "casMarketStatus", skip_serializing_if = "BTreeMap::is_empty")]
    pub cas_market_status: BTreeMap<String, StatusInfo>,
    #[prost(btree_map = "string, message", tag = "3")]
    #[serde(
        rename = "preOpenSessionStatus",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub pre_open_session_status: BTreeMap<String, StatusInfo>,
}

#[derive(Clone, PartialEq, prost::Message, Serialize)]
pub struct StatusInfo {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[prost(int64, tag = "2")]
    #[serde(
        rename = "updatedTime",
        skip_serializing_if = "is_zero_i64",
        serialize_with = "int64_text"
    )]
    pub updated_time: i64,
}

impl FrameType {
    pub fn name(self) -> &'static str {
        match self {
            FrameType::InitialFeed => "initial_feed",
            FrameType::LiveFeed => "live_feed",
            FrameType::MarketInfo => "market_info",
        }
    }
}

impl RequestMode {
    pub fn name(self) -> &'static str {
        match self {
            RequestMode::Ltpc => "ltpc",
            RequestMode::FullD5 => "full_d5",
            RequestMode::OptionGreeks => "option_greeks",
            RequestMode::FullD30 => "full_d30",
        }
    }
}

impl MarketStatus {
    pub fn name(self) -> &'static str {
        match self {
            MarketStatus::PreOpenStart => "PRE_OPEN_START",
            MarketStatus::PreOpenEnd => "PRE_OPEN_END",
            MarketStatus::NormalOpen => "NORMAL_OPEN",
            MarketStatus::NormalClose => "NORMAL_CLOSE",
            MarketStatus::ClosingStart => "CLOSING_START",
            MarketStatus::ClosingEnd => "CLOSING_END",
        }
    }
}
