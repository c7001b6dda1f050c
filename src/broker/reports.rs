//! What brokers report, in the bot's terms: quotes, orders, trades, positions and the account behind a token.
//!
//! Each broker module converts its own JSON into these, so the feed, the executor and reconciliation never see
//! a broker's field names or status strings. Instruments stay named by the broker's key here; the caller maps
//! keys to its universe.

use rust_decimal::Decimal;

use crate::domain::{Product, Side};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: String,
    pub user_name: String,
    pub broker: String,
}

/// A last-traded price fetched by polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LtpQuote {
    /// The key the price was asked for, e.g. `NSE_EQ|INE002A01018`.
    pub instrument_key: String,
    /// The trading symbol the broker keyed the answer by, e.g. `RELIANCE`.
    pub symbol: String,
    pub last_price: Decimal,
    pub last_quantity: i64,
    pub previous_close: Option<Decimal>,
}

/// Where an order stands at the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// Received, validating, or waiting on a modification or cancellation.
    Pending,
    Open,
    /// A stop order waiting for its trigger.
    TriggerPending,
    Complete,
    Cancelled,
    Rejected,
}

impl OrderState {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderState::Complete | OrderState::Cancelled | OrderState::Rejected
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: String,
    pub tag: Option<String>,
    pub instrument_key: String,
    pub side: Side,
    pub order_type: String,
    pub quantity: u32,
    pub filled_quantity: u32,
    pub price: Decimal,
    pub trigger_price: Decimal,
    /// Average fill price, when anything filled.
    pub average_price: Option<Decimal>,
    pub state: OrderState,
    /// The broker's own status text and message, for the journal and the trader.
    pub status_text: String,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeReport {
    pub trade_id: String,
    pub order_id: String,
    pub instrument_key: String,
    pub side: Side,
    pub quantity: u32,
    pub price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionReport {
    pub instrument_key: String,
    /// Intraday or carried; each broker maps its own product codes (Upstox `I`, HDFC Sky `MIS`).
    pub product: Product,
    /// Positive long, negative short.
    pub net_quantity: i64,
    pub average_price: Decimal,
    pub last_price: Decimal,
    pub realized_pnl: Decimal,
    pub unrealized_pnl: Decimal,
}

/// What a broker's kill switch did: whether every segment asked for is now off, and what the broker showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillSwitchOutcome {
    pub switched_off: bool,
    pub detail: String,
}
