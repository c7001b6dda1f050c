//! Upstox: the Market Data Feed V3 (protobuf over WebSocket) decoded into normalized frames.

mod feed_frame;
pub mod feed_proto;
mod proto_json;

pub use feed_frame::{FeedDecodeError, FeedFrame, FeedTick, FrameKind};
