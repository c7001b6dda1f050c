//! One module per broker, each owning that broker's wire protocol: REST shapes, feed framing and decoding, and
//! error mapping. Nothing broker-shaped leaves these modules; everything past them speaks `domain`.

mod account;
mod error;
mod feed_source;
pub mod hdfcsky;
mod http_policy;
mod jwt_claims;
mod order_sink;
mod order_updates;
mod rate_limit;
mod readable_rows;
mod reports;
pub mod upstox;
mod ws_handshake;

pub use account::AccountBroker;
pub use error::{BrokerError, ErrorClass};
pub use feed_source::{FeedBroker, FeedStream, PriceUpdate, StreamEvent};
pub use http_policy::RestSettings;
pub(crate) use http_policy::read_body;
pub use jwt_claims::{stated_expiry, unsigned_jwt};
pub use order_sink::OrderBroker;
pub use order_updates::{OrderUpdate, OrderUpdateSocket, ReadOrderUpdate};
pub use rate_limit::{RateBudget, RateLimit};
pub use readable_rows::{RowSkips, SkippedRow, readable_rows};
pub use reports::{
    KillSwitchOutcome, LtpQuote, OrderReport, OrderState, PositionReport, Profile, TradeReport,
};
