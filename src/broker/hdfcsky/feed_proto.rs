//! HDFC Sky's market-data protobuf (`GenericDTO3.proto`, field numbers from the copy integrators use live),
//! declared with prost's derive so the build needs no `protoc`.
//!
//! `Order` (5) and `Trade` (6) are left out on purpose: no integration has seen them on the market-data socket,
//! and prost skips fields a message does not declare.

#[derive(Clone, PartialEq, prost::Message)]
pub struct GenericDtoList {
    #[prost(message, repeated, tag = "1")]
    pub generic_dto_list: Vec<GenericDto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GenericDto {
    #[prost(int64, tag = "1")]
    pub instrument_id: i64,
    #[prost(message, optional, tag = "2")]
    pub mbp_data: Option<MbpData>,
    #[prost(message, optional, tag = "3")]
    pub index_data: Option<IndexData>,
    #[prost(enumeration = "MarketStatus", tag = "4")]
    pub market_status: i32,
    #[prost(int64, tag = "7")]
    pub sequence_no: i64,
    /// Epoch milliseconds.
    #[prost(int64, tag = "8")]
    pub packet_timestamp: i64,
    #[prost(enumeration = "PacketType", tag = "9")]
    pub packet_type: i32,
    #[prost(message, optional, tag = "10")]
    pub greek_data: Option<GreekData>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MbpData {
    /// Rupees, unscaled.
    #[prost(double, tag = "1")]
    pub last_traded_price: f64,
    #[prost(int64, tag = "2")]
    pub last_trade_time: i64,
    #[prost(string, tag = "3")]
    pub net_change_indicator: String,
    #[prost(int32, tag = "4")]
    pub net_price_change_from_closing_price: i32,
    #[prost(double, tag = "5")]
    pub open_price: f64,
    #[prost(double, tag = "6")]
    pub high_price: f64,
    /// The previous session's close.
    #[prost(double, tag = "7")]
    pub closing_price: f64,
    #[prost(double, tag = "8")]
    pub low_price: f64,
    #[prost(int64, tag = "9")]
    pub volume_traded_today: i64,
    #[prost(int64, tag = "10")]
    pub last_trade_quantity: i64,
    #[prost(double, tag = "11")]
    pub average_trade_price: f64,
    #[prost(message, optional, tag = "12")]
    pub market_depth_dto_list: Option<MarketDepthDtoList>,
    #[prost(int64, tag = "13")]
    pub total_buy_quantity: i64,
    #[prost(int64, tag = "14")]
    pub total_sell_quantity: i64,
    #[prost(double, tag = "15")]
    pub lower_circuit_limit: f64,
    #[prost(double, tag = "16")]
    pub upper_circuit_limit: f64,
    #[prost(int64, tag = "17")]
    pub oi: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDepthDtoList {
    #[prost(message, repeated, tag = "1")]
    pub market_depth_dto: Vec<MarketDepthDto>,
}

/// One depth level; bids and asks share the list, told apart by `buy_flag`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDepthDto {
    #[prost(int64, tag = "1")]
    pub quantity: i64,
    #[prost(double, tag = "2")]
    pub price: f64,
    #[prost(int64, tag = "3")]
    pub number_of_orders: i64,
    #[prost(bool, tag = "4")]
    pub buy_flag: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct IndexData {
    #[prost(string, tag = "1")]
    pub index_name: String,
    #[prost(double, tag = "2")]
    pub index_value: f64,
    #[prost(double, tag = "3")]
    pub high_index_value: f64,
    #[prost(double, tag = "4")]
    pub low_index_value: f64,
    #[prost(double, tag = "5")]
    pub opening_index: f64,
    #[prost(double, tag = "6")]
    pub closing_index: f64,
    #[prost(double, tag = "7")]
    pub percent_change: f64,
    #[prost(double, tag = "8")]
    pub yearly_high: f64,
    #[prost(double, tag = "9")]
    pub yearly_low: f64,
    /// Epoch milliseconds; replaces the packet's own timestamp.
    #[prost(int64, tag = "10")]
    pub packet_time_stamp: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GreekData {
    #[prost(double, tag = "1")]
    pub delta: f64,
    #[prost(double, tag = "2")]
    pub gamma: f64,
    #[prost(double, tag = "3")]
    pub vega: f64,
    #[prost(double, tag = "4")]
    pub theta: f64,
    #[prost(double, tag = "5")]
    pub rho: f64,
    #[prost(string, tag = "6")]
    pub scrip_id: String,
    #[prost(string, tag = "7")]
    pub exch: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PacketType {
    NseCmAll = 0,
    NseCdAll = 1,
    NseIndex = 2,
    NseFoAll = 3,
    BseCm = 4,
    BseIndex = 5,
    BseFoAll = 6,
    McxPkt = 7,
    Order = 8,
    Trade = 9,
    NseCmCirc = 10,
    NseCdCirc = 11,
    NseCdOi = 12,
    NseFoCirc = 13,
    NseFoOi = 14,
    BseFoOi = 15,
    Heartbeat = 16,
    NseFoGreek = 17,
    BseFoGreek = 18,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MarketStatus {
    PreOpenStart = 0,
    PreOpenEnd = 1,
    Open = 2,
    Close = 3,
    PostCloseStart = 4,
    PostCloseEnd = 5,
    Unavailable = 6,
}
