//! One module per broker, each owning that broker's wire protocol: REST shapes, feed framing and decoding, and
//! error mapping. Nothing broker-shaped leaves these modules; everything past them speaks `domain`.

pub mod upstox;
