//! HDFC Sky behind the executor's trait. An API key may send only LIMIT and SL orders (MARKET and SL-M are
//! refused with 403), so market intent goes out as a LIMIT priced a protection margin through the last price,
//! and a stop-market as an SL whose limit sits the same margin past its trigger. The margins are the price
//! slabs integrators use: 2 % under ₹100, 1 % under ₹500, 0.5 % above, rounded onto the tick toward the
//! reference price, so rounding never widens the margin. Fills are seen by polling the order book: no push stream is known.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal::dec;

use super::order_number::{OrderNumbers, user_order_id};
use super::rest_client::HdfcSkyRest;
use super::rest_types::{OrderBody, OrderRow};
use super::scrip::ScripId;
use super::wire_convert::{order_report, scrip_of};
use crate::broker::{BrokerError, ErrorClass, OrderBroker, OrderReport};
use crate::calendar::{Clock, to_ist};
use crate::config::{TokenSource, TokenWatch};
use crate::domain::{
    Instrument, InstrumentId, OrderKind, OrderRequest, OrderTag, Product, Side, Validity,
    decimal_to_wire,
};

/// How far through the reference price a protected LIMIT goes, by price slab.
pub fn protection(price: Decimal) -> Decimal {
    if price < dec!(100) {
        dec!(0.02)
    } else if price < dec!(500) {
        dec!(0.01)
    } else {
        dec!(0.005)
    }
}

/// The limit price that stands in for a market order at `reference`: through it by the slab's margin, on the
/// tick grid, rounded toward the reference so it never exceeds the margin.
pub fn protected_limit(side: Side, reference: Decimal, instrument: &Instrument) -> Decimal {
    let tick = instrument.tick_size_at(reference);
    let margin = reference * protection(reference);
    match side {
        Side::Buy => tick.round_down(reference + margin),
        Side::Sell => tick.round_up(reference - margin).max(tick.value()),
    }
}

pub struct HdfcSkyOrders {
    rest: Arc<HdfcSkyRest>,
    instruments: HashMap<InstrumentId, (ScripId, Instrument)>,
    by_scrip: HashMap<ScripId, InstrumentId>,
    numbers: OrderNumbers,
    clock: Clock,
    tokens: Option<TokenWatch>,
}

impl HdfcSkyOrders {
    /// For the instruments of a universe that have an HDFC Sky token; `clock` dates the tags it recovers.
    pub fn for_universe(rest: Arc<HdfcSkyRest>, universe: &[Instrument], clock: Clock) -> Self {
        let instruments: HashMap<_, _> = universe
            .iter()
            .filter_map(|i| Some((i.id.clone(), (ScripId::of(i)?, i.clone()))))
            .collect();
        let by_scrip = instruments
            .iter()
            .map(|(id, (scrip, _))| (*scrip, id.clone()))
            .collect();
        HdfcSkyOrders {
            rest,
            instruments,
            by_scrip,
            numbers: OrderNumbers::default(),
            clock,
            tokens: None,
        }
    }

    /// Where the token comes from, so a 401 mid-day is met by re-reading it (a new login fixes a running bot).
    pub fn with_tokens(mut self, tokens: TokenSource) -> Self {
        self.tokens = Some(TokenWatch::new(tokens));
        self
    }

    async fn body(&self, order: &OrderRequest) -> Result<OrderBody, BrokerError> {
        let endpoint = "/oapi/v1/orders";
        let (scrip, instrument) = self.instruments.get(&order.instrument).ok_or_else(|| {
            BrokerError::new(
                ErrorClass::Rejected,
                endpoint,
                format!("{} has no hdfcsky_token in the universe", order.instrument),
            )
        })?;
        let (order_type, price, trigger) = match order.kind {
            OrderKind::Limit { price } => ("LIMIT", price, Decimal::ZERO),
            OrderKind::StopLoss { trigger, price } => ("SL", price, trigger),
            OrderKind::Market => {
                let last = self.last_price(*scrip, endpoint).await?;
                (
                    "LIMIT",
                    protected_limit(order.side, last, instrument),
                    Decimal::ZERO,
                )
            }
            OrderKind::StopLossMarket { trigger } => (
                "SL",
                protected_limit(order.side, trigger, instrument),
                trigger,
            ),
        };
        Ok(OrderBody {
            exchange: scrip.segment.order_exchange().into(),
            instrument_token: scrip.token.to_string(),
            client_id: String::new(),
            order_type: order_type.into(),
            order_side: order.side.to_string(),
            product: match order.product {
                Product::Intraday => "MIS",
                Product::Delivery => "CNC",
            }
            .into(),
            quantity: order.quantity,
            price: decimal_to_wire(price),
            trigger_price: decimal_to_wire(trigger),
            disclosed_quantity: 0,
            validity: match order.validity {
                Validity::Day => "DAY",
                Validity::ImmediateOrCancel => "IOC",
            }
            .into(),
            device: "WEB".into(),
            execution_type: "REGULAR".into(),
            amo: false,
            user_order_id: self.numbers.remember(&order.tag),
        })
    }

    async fn last_price(&self, scrip: ScripId, endpoint: &str) -> Result<Decimal, BrokerError> {
        let quotes = self.rest.fetch_ltp(&[scrip]).await?;
        quotes
            .first()
            .map(|q| q.last_price)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| {
                BrokerError::new(
                    ErrorClass::Rejected,
                    endpoint,
                    format!("no last price for {scrip} to protect a market order with"),
                )
            })
    }

    fn report(&self, row: OrderRow) -> Result<OrderReport, BrokerError> {
        let tag = row.user_order_id.parse::<u64>().ok().and_then(|number| {
            let scrip = scrip_of(&row.exchange, &row.instrument_token, "/oapi/v1/orders").ok()?;
            let id = self.by_scrip.get(&scrip)?;
            let today = to_ist(self.clock.now()).date_naive();
            self.numbers.tag_of(number, today, &id.symbol)
        });
        order_report(row, tag.map(|t| t.to_string()))
    }
}

impl OrderBroker for HdfcSkyOrders {
    async fn reload_token(&self) -> bool {
        self.tokens
            .as_ref()
            .is_some_and(|tokens| self.rest.take_fresh_token(tokens))
    }

    fn take_skipped_rows(&self) -> Vec<crate::broker::SkippedRow> {
        self.rest.take_skipped_rows()
    }

    async fn place(&self, order: &OrderRequest) -> Result<Vec<String>, BrokerError> {
        let body = self.body(order).await?;
        Ok(vec![self.rest.place_order(&body).await?])
    }

    async fn cancel(&self, order_id: &str) -> Result<(), BrokerError> {
        self.rest.cancel_order(order_id).await
    }

    async fn modify(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError> {
        let body = self.body(order).await?;
        self.rest.modify_order(order_id, &body).await
    }

    async fn orders_tagged(&self, tag: &OrderTag) -> Result<Vec<OrderReport>, BrokerError> {
        let number = user_order_id(tag).to_string();
        self.rest
            .order_rows()
            .await?
            .into_iter()
            .filter(|row| row.user_order_id == number)
            .map(|row| self.report(row))
            .collect()
    }

    async fn order_book(&self) -> Result<Vec<OrderReport>, BrokerError> {
        self.rest
            .order_rows()
            .await?
            .into_iter()
            .map(|row| self.report(row))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Exchange, Segment, TickSize};

    fn instrument(tick: Decimal) -> Instrument {
        Instrument {
            id: InstrumentId::new(Exchange::Nse, "SBIN").unwrap(),
            segment: Segment::Equity,
            isin: None,
            upstox_key: None,
            hdfcsky_token: Some("3045".into()),
            tick_size: Some(TickSize::new(tick).unwrap()),
            lot_size: 1,
            has_derivatives: true,
        }
    }

    #[test]
    fn market_intent_becomes_a_limit_within_the_slab_margin_on_the_tick_grid() {
        let sbin = instrument(dec!(0.05));
        assert_eq!(
            protected_limit(Side::Buy, dec!(812.35), &sbin),
            dec!(816.40)
        );
        assert_eq!(
            protected_limit(Side::Sell, dec!(812.35), &sbin),
            dec!(808.30)
        );
        assert_eq!(
            protected_limit(Side::Buy, dec!(250.00), &sbin),
            dec!(252.50)
        );
        assert_eq!(protected_limit(Side::Sell, dec!(80.00), &sbin), dec!(78.40));
    }
}
