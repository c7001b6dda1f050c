//! Upstox behind the executor's trait: the bot's `OrderRequest` as a v3 place-order body, and tags mapped back.

use std::collections::HashMap;
use std::sync::Arc;

use super::order_update_frame::read_order_update;
use super::rest_client::{USER_AGENT, UpstoxRest};
use super::rest_types::{ModifyOrderBody, PlaceOrderBody};
use crate::broker::{
    BrokerError, ErrorClass, KillSwitchOutcome, OrderBroker, OrderReport, OrderUpdateSocket,
    ws_handshake,
};
use crate::config::{TokenSource, TokenWatch};
use crate::domain::{
    Exchange, Instrument, InstrumentId, OrderKind, OrderRequest, OrderTag, Product, UpstoxKey,
    Validity, decimal_to_wire,
};

pub struct UpstoxOrders {
    rest: Arc<UpstoxRest>,
    keys: HashMap<InstrumentId, UpstoxKey>,
    tokens: Option<TokenWatch>,
}

impl UpstoxOrders {
    pub fn new(rest: Arc<UpstoxRest>, keys: HashMap<InstrumentId, UpstoxKey>) -> Self {
        UpstoxOrders {
            rest,
            keys,
            tokens: None,
        }
    }

    /// Where the token comes from, so a 401 mid-day is met by re-reading it (a new login fixes a running bot).
    pub fn with_tokens(mut self, tokens: TokenSource) -> Self {
        self.tokens = Some(TokenWatch::new(tokens));
        self
    }

    /// For the instruments of a universe that have an Upstox key (an ISIN, or one given).
    pub fn for_universe(rest: Arc<UpstoxRest>, universe: &[Instrument]) -> Self {
        let keys = universe
            .iter()
            .filter_map(|i| Some((i.id.clone(), i.upstox_key()?)))
            .collect();
        UpstoxOrders::new(rest, keys)
    }

    fn body(&self, order: &OrderRequest) -> Result<PlaceOrderBody, BrokerError> {
        let key = self.keys.get(&order.instrument).ok_or_else(|| {
            BrokerError::new(
                ErrorClass::Rejected,
                "/v3/order/place",
                format!("{} has no Upstox instrument key", order.instrument),
            )
        })?;
        let price = order.kind.limit_price().map_or(0.0, decimal_to_wire);
        let trigger = order.kind.trigger_price().map_or(0.0, decimal_to_wire);
        Ok(PlaceOrderBody {
            quantity: order.quantity,
            product: match order.product {
                Product::Intraday => "I",
                Product::Delivery => "D",
            }
            .into(),
            validity: match order.validity {
                Validity::Day => "DAY",
                Validity::ImmediateOrCancel => "IOC",
            }
            .into(),
            price,
            tag: Some(order.tag.to_string()),
            instrument_token: key.to_string(),
            order_type: order.kind.code().into(),
            transaction_type: order.side.to_string(),
            disclosed_quantity: 0,
            trigger_price: trigger,
            is_amo: false,
            slice: false,
            // Market-type orders need protection from April 2026; -1 lets the broker choose it.
            market_protection: matches!(
                order.kind,
                OrderKind::Market | OrderKind::StopLossMarket { .. }
            )
            .then_some(-1.0),
        })
    }
}

impl OrderBroker for UpstoxOrders {
    async fn reload_token(&self) -> bool {
        self.tokens
            .as_ref()
            .is_some_and(|tokens| self.rest.take_fresh_token(tokens))
    }

    fn take_skipped_rows(&self) -> Vec<crate::broker::SkippedRow> {
        self.rest.take_skipped_rows()
    }

    async fn place(&self, order: &OrderRequest) -> Result<Vec<String>, BrokerError> {
        let body = self.body(order)?;
        self.rest.place_order(&body).await
    }

    async fn cancel(&self, order_id: &str) -> Result<(), BrokerError> {
        self.rest.cancel_order(order_id).await.map(|_| ())
    }

    async fn modify(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError> {
        let placed = self.body(order)?;
        let body = ModifyOrderBody {
            order_id: order_id.to_string(),
            order_type: placed.order_type,
            price: placed.price,
            trigger_price: placed.trigger_price,
            validity: placed.validity,
            quantity: Some(order.quantity),
        };
        self.rest.modify_order(&body).await.map(|_| ())
    }

    async fn orders_tagged(&self, tag: &OrderTag) -> Result<Vec<OrderReport>, BrokerError> {
        self.rest.order_history_by_tag(tag.as_str()).await
    }

    async fn order_book(&self) -> Result<Vec<OrderReport>, BrokerError> {
        self.rest.order_book().await
    }

    async fn kill_switch(&self, exchanges: &[Exchange]) -> Result<KillSwitchOutcome, BrokerError> {
        let segments: Vec<String> = exchanges.iter().map(|x| format!("{x}_EQ")).collect();
        let asked: Vec<&str> = segments.iter().map(String::as_str).collect();
        let states = self.rest.kill_switch(&asked).await?;
        let off = |segment: &str| {
            states
                .iter()
                .any(|s| s.segment == segment && s.kill_switch_enabled == Some(true))
        };
        let shown: Vec<String> = asked
            .iter()
            .map(|segment| {
                let status = states
                    .iter()
                    .find(|s| s.segment == *segment)
                    .and_then(|s| s.segment_status.as_deref())
                    .unwrap_or("not shown");
                let state = if off(segment) { "off" } else { "not off" };
                format!("{segment} {state} ({status})")
            })
            .collect();
        let switched_off = asked.iter().all(|segment| off(segment));
        Ok(KillSwitchOutcome {
            switched_off,
            detail: format!(
                "kill switch asked for {}: Upstox shows {}{}",
                segments.join(", "),
                shown.join(", "),
                if switched_off {
                    "; trading there stays off for 12 hours"
                } else {
                    ""
                }
            ),
        })
    }

    /// The portfolio stream feed: authorized afresh for every connect (its URL is single-use), with the
    /// trading token, since orders are the account's and not market data.
    async fn order_stream(&self) -> Result<Option<OrderUpdateSocket>, BrokerError> {
        const ENDPOINT: &str = "portfolio stream feed";
        let url = self.rest.authorize_order_stream().await?;
        let request = ws_handshake::request(&url, ENDPOINT, USER_AGENT)?;
        let socket =
            OrderUpdateSocket::open(
                request,
                read_order_update,
                ENDPOINT,
                |status, _| match status {
                    401 => "the handshake was refused with 401".to_string(),
                    403 => "the handshake was refused with 403: a reused one-time URL, or another \
                        connection still open"
                        .to_string(),
                    other => format!("the handshake was refused with HTTP {other}"),
                },
            );
        socket.await.map(Some)
    }
}
