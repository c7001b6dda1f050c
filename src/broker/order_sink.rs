//! What the executor needs from a broker to trade: place, cancel, and find orders again by tag. Implemented by
//! each broker and by the paper broker, so paper and live orders take the same path.

use std::future::Future;

use super::{BrokerError, KillSwitchOutcome, OrderReport, OrderUpdateSocket, SkippedRow};
use crate::domain::{Exchange, OrderRequest, OrderTag};

pub trait OrderBroker: Send + Sync + 'static {
    /// Sends an order; the broker may slice it into several, hence several ids.
    fn place(
        &self,
        order: &OrderRequest,
    ) -> impl Future<Output = Result<Vec<String>, BrokerError>> + Send;

    fn cancel(&self, order_id: &str) -> impl Future<Output = Result<(), BrokerError>> + Send;

    /// Changes a working order in place to `order`'s type and prices (same side and quantity): how a resting
    /// stop follows a trail, and becomes the exit order without a second order racing it.
    fn modify(
        &self,
        order_id: &str,
        order: &OrderRequest,
    ) -> impl Future<Output = Result<(), BrokerError>> + Send;

    /// Every order carrying `tag`: how an ambiguous submit is resolved.
    fn orders_tagged(
        &self,
        tag: &OrderTag,
    ) -> impl Future<Output = Result<Vec<OrderReport>, BrokerError>> + Send;

    /// Today's orders.
    fn order_book(&self) -> impl Future<Output = Result<Vec<OrderReport>, BrokerError>> + Send;

    /// Switches trading off for `exchanges`' cash segments until the broker lets it back on (Upstox: 12 hours),
    /// and says what the broker now shows. A broker without a kill switch refuses.
    fn kill_switch(
        &self,
        exchanges: &[Exchange],
    ) -> impl Future<Output = Result<KillSwitchOutcome, BrokerError>> + Send {
        let _ = exchanges;
        std::future::ready(Err(BrokerError::new(
            super::ErrorClass::Rejected,
            "kill switch",
            "this broker has no kill switch dalal can call",
        )))
    }

    /// Opens the broker's order-update stream; `Ok(None)` when the broker has none, and its fills are polled.
    fn order_stream(
        &self,
    ) -> impl Future<Output = Result<Option<OrderUpdateSocket>, BrokerError>> + Send {
        std::future::ready(Ok(None))
    }

    /// The list rows this broker's client skipped since the last call, for the journal (see `readable_rows`).
    fn take_skipped_rows(&self) -> Vec<SkippedRow> {
        Vec::new()
    }

    /// Re-reads the token from where it came from after a 401; true when a new one is now in use. A broker
    /// without a token (the paper broker) has nothing to re-read.
    fn reload_token(&self) -> impl Future<Output = bool> + Send {
        std::future::ready(false)
    }
}
