//! What the simulated exchange shows beside a cash instrument's last price in a full quote: five levels of depth,
//! the average trade price, the total quantities bid and offered, and the circuit limits. The market keeps
//! prices only; these are derived from them, on the tick grid, so that both feeds (Upstox's full mode, HDFC Sky's
//! `ALL` packets) show one and the same book.

use rust_decimal::Decimal;
use rust_decimal::dec;

use super::market::{InstrumentSpec, Quote};

/// Levels shown on each side.
pub const DEPTH_LEVELS: i64 = 5;

/// NSE's widest price band for a stock: 20 % either side of the previous close.
const CIRCUIT_BAND: Decimal = dec!(0.2);

/// One level of the book: the `level`-th best bid and ask, each `level` ticks from the last price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthLevel {
    pub bid_price: Decimal,
    pub bid_quantity: i64,
    pub ask_price: Decimal,
    pub ask_quantity: i64,
    /// Orders at the level, on either side.
    pub orders: i64,
}

/// The best `DEPTH_LEVELS` levels, best first. Sellers show a little more than buyers; no bid goes below a tick.
pub fn depth(spec: &InstrumentSpec, quote: &Quote) -> Vec<DepthLevel> {
    let tick = spec.tick.value();
    (1..=DEPTH_LEVELS)
        .map(|level| {
            let away = tick * Decimal::from(level);
            DepthLevel {
                bid_price: (quote.ltp - away).max(tick),
                bid_quantity: 100 * level,
                ask_price: quote.ltp + away,
                ask_quantity: 120 * level,
                orders: level,
            }
        })
        .collect()
}

/// The day's average trade price, taken as the mean of open, high, low and last, on the tick grid.
pub fn average_trade_price(spec: &InstrumentSpec, quote: &Quote) -> Decimal {
    spec.tick
        .round_nearest((quote.open + quote.high + quote.low + quote.ltp) / Decimal::from(4))
}

/// Shares bid for across the whole book: half the day's volume.
pub fn total_buy_quantity(quote: &Quote) -> i64 {
    quote.volume / 2
}

/// Shares offered across the whole book: a third of the day's volume.
pub fn total_sell_quantity(quote: &Quote) -> i64 {
    quote.volume / 3
}

/// The lower and upper circuit limits around the previous close, each a price the exchange accepts (the lower
/// rounded up onto the grid, the upper down).
pub fn circuit_limits(spec: &InstrumentSpec, quote: &Quote) -> (Decimal, Decimal) {
    let band = quote.cp * CIRCUIT_BAND;
    let lower = spec.tick.round_up(quote.cp - band).max(spec.tick.value());
    (lower, spec.tick.round_down(quote.cp + band))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TickSize;

    fn sbin() -> (InstrumentSpec, Quote) {
        let spec = InstrumentSpec {
            symbol: "SBIN".into(),
            key: "NSE_EQ|INE062A01020".into(),
            hdfcsky_token: Some(3045),
            previous_close: dec!(812.35),
            tick: TickSize::new(dec!(0.05)).unwrap(),
            gap_pct: 0.0,
            trend_pct: 0.0,
            index: false,
        };
        let quote = Quote {
            ltp: dec!(815.4),
            ltt_ms: 1_795_000_000_000,
            ltq: 10,
            cp: dec!(812.35),
            open: dec!(813),
            high: dec!(816.1),
            low: dec!(811.95),
            volume: 12_345,
            seq: 7,
        };
        (spec, quote)
    }

    #[test]
    fn the_book_brackets_the_last_price_on_the_tick_grid() {
        let (spec, quote) = sbin();
        let levels = depth(&spec, &quote);
        assert_eq!(levels.len(), 5);
        assert_eq!(
            (levels[0].bid_price, levels[0].ask_price),
            (dec!(815.35), dec!(815.45))
        );
        assert_eq!(
            (levels[4].bid_price, levels[4].ask_quantity),
            (dec!(815.15), 600)
        );
        for pair in levels.windows(2) {
            assert!(pair[1].bid_price < pair[0].bid_price && pair[1].ask_price > pair[0].ask_price);
        }
        let atp = average_trade_price(&spec, &quote);
        assert!(spec.tick.is_on_grid(atp) && quote.low <= atp && atp <= quote.high);
        assert_eq!(
            (total_buy_quantity(&quote), total_sell_quantity(&quote)),
            (6172, 4115)
        );
    }

    #[test]
    fn circuit_limits_are_a_fifth_either_side_of_the_close_and_tradeable() {
        let (spec, quote) = sbin();
        let (lower, upper) = circuit_limits(&spec, &quote);
        // 812.35 × 0.8 = 649.88 and × 1.2 = 974.82: inside the band, on the 0.05 grid.
        assert_eq!((lower, upper), (dec!(649.9), dec!(974.8)));
    }
}
