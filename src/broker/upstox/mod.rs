//! Upstox: the REST client and the Market Data Feed V3 (protobuf over WebSocket), each classified and converted
//! to the bot's own types before anything leaves this module.

mod account_adapter;
mod feed_adapter;
mod feed_frame;
pub mod feed_proto;
mod feed_request;
mod feed_socket;
#[cfg(test)]
mod fuzz;
pub mod instrument_master;
mod login;
mod order_adapter;
mod order_rules;
mod order_update_frame;
mod proto_json;
mod rest_client;
pub mod rest_types;
mod wire_convert;

pub use crate::broker::RestSettings;
pub use account_adapter::UpstoxAccount;
pub use feed_adapter::{UpstoxFeedBroker, UpstoxStream};
pub use feed_frame::{FeedDecodeError, FeedFrame, FeedTick, FrameKind};
pub use feed_request::{FeedMethod, FeedMode, FeedRequest, FeedRequestData};
pub use feed_socket::{FeedEvent, UpstoxFeedSocket};
pub use login::{
    DEFAULT_REDIRECT_URI, IssuedToken, UpstoxLogin, UpstoxLoginError, code_from_redirect,
    expiry_after, shown_expiry,
};
pub use order_adapter::UpstoxOrders;
pub use order_rules::{RULE_REFUSALS, RuleRefusal};
pub use order_update_frame::{OrderUpdateMessage, read_order_update};
pub use rest_client::{LTP_KEYS_PER_CALL, USER_AGENT, UpstoxHosts, UpstoxRest};
