//! One ordered stream of prices for the engine, whatever the broker's WebSocket does.
//!
//! `FailoverFeed` prefers the broker's stream, degrades to LTP polling the moment the stream is refused, drops or
//! goes silent, and climbs back when it can. `PriceSanity` stops prices that cannot be true;
//! `TickGate` keeps duplicates and out-of-order prices from crossing a switch; `FeedStats` counts what happened for the journal and the status endpoint.

mod backoff;
mod failover;
mod gate;
mod price_sanity;
mod status;

pub use backoff::Backoff;
pub use failover::{FailoverFeed, FeedOutput, FeedTimings};
pub use gate::TickGate;
pub use price_sanity::{BadPrice, PriceSanity};
pub use status::{FallbackReason, FeedState, FeedStats};
