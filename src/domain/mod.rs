//! The bot's own vocabulary: instruments, prices, ticks, orders, fills and positions.
//!
//! Everything past a broker module speaks these types, so a broker's JSON or protobuf shape never leaks into the
//! engine, the executor or the journal. Nothing here does I/O or knows about tokio: the types are plain data with
//! the arithmetic that must be right everywhere (tick rounding, exact decimal prices, position averaging).

mod candle;
mod instrument;
mod order;
mod position;
mod price;
mod tick;

pub use candle::{Candle, CandleInterval};
pub use instrument::{
    Exchange, Instrument, InstrumentError, InstrumentId, Isin, Segment, UpstoxKey,
};
pub use order::{Fill, OrderKind, OrderRequest, OrderTag, Product, Side, UnknownSide, Validity};
pub use position::Position;
pub use price::{PriceError, TickSize, decimal_from_wire, decimal_to_wire};
pub use tick::{Tick, TickSource, epoch_millis};
