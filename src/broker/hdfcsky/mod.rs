//! HDFC Sky: login, the REST client, the protobuf market-data WebSocket, orders, funds and the security master,
//! each classified and converted to the bot's own types before anything leaves this module.
//!
//! dalal names an HDFC Sky instrument by its scrip id (`NSE_2885`) wherever a broker key is wanted.

mod access_token;
mod account_adapter;
pub mod chart_candles;
mod feed_adapter;
mod feed_decode;
pub mod feed_proto;
mod feed_socket;
pub mod funds;
#[cfg(test)]
mod fuzz;
mod login;
mod order_adapter;
mod order_number;
mod rest_client;
mod rest_errors;
pub mod rest_types;
mod scrip;
pub mod security_master;
mod wire_convert;

pub use access_token::{TokenClaims, unsigned_token};
pub use account_adapter::HdfcSkyAccount;
pub use feed_adapter::{HdfcSkyFeedBroker, HdfcSkyStream, scrips};
pub use feed_decode::{Applied, DepthLevel, MergedQuote, QuoteBook, decode_packets};
pub use feed_socket::{
    FeedRequest, SCRIPS_PER_CONNECTION, SESSION_PATH, ScripRequest, SkyFeedSocket,
    SubscriptionType, session_url,
};
pub use funds::Funds;
pub use login::{LoginError, LoginPrompt, SkyLogin};
pub use order_adapter::{HdfcSkyOrders, protected_limit};
pub use rest_client::{HdfcSkyRest, LTP_ITEMS_PER_CALL, PRODUCTION, USER_AGENT};
pub use rest_errors::classify;
pub use scrip::{ScripId, SkySegment};
