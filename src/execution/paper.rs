//! Paper trading: a broker that fills orders against the live (or simulated) prices the bot sees, so the
//! executor, the engine and the journal run exactly as they would live. MARKET-type orders fill at the last price
//! plus slippage in basis points; LIMIT-type orders when the price reaches them; stops on their trigger.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;

use crate::broker::{BrokerError, ErrorClass, OrderBroker, OrderReport, OrderState};
use crate::domain::{InstrumentId, OrderRequest, OrderTag};

struct PaperOrder {
    id: String,
    request: OrderRequest,
    filled: u32,
    average: Option<Decimal>,
    state: OrderState,
}

#[derive(Default)]
struct PaperBook {
    last: HashMap<InstrumentId, Decimal>,
    orders: Vec<PaperOrder>,
}

pub struct PaperBroker {
    book: Mutex<PaperBook>,
    slippage_bps: Decimal,
}

impl PaperBroker {
    pub fn new(slippage_bps: Decimal) -> Self {
        PaperBroker {
            book: Mutex::new(PaperBook::default()),
            slippage_bps,
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, PaperBook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new last price: resting orders on that instrument may fill.
    pub fn on_price(&self, instrument: &InstrumentId, price: Decimal) {
        let mut book = self.book();
        book.last.insert(instrument.clone(), price);
        let slippage = price * self.slippage_bps / Decimal::from(10_000);
        for order in book
            .orders
            .iter_mut()
            .filter(|o| &o.request.instrument == instrument)
        {
            match_order(order, price, slippage);
        }
    }

    fn report(order: &PaperOrder) -> OrderReport {
        OrderReport {
            order_id: order.id.clone(),
            tag: Some(order.request.tag.to_string()),
            instrument_key: order.request.instrument.to_string(),
            side: order.request.side,
            order_type: order.request.kind.code().into(),
            quantity: order.request.quantity,
            filled_quantity: order.filled,
            price: order.request.kind.limit_price().unwrap_or_default(),
            trigger_price: order.request.kind.trigger_price().unwrap_or_default(),
            average_price: order.average,
            state: order.state.clone(),
            status_text: format!("paper {:?}", order.state).to_lowercase(),
            message: None,
        }
    }
}

fn match_order(order: &mut PaperOrder, last: Decimal, slippage: Decimal) {
    let live = matches!(order.state, OrderState::Open | OrderState::TriggerPending);
    if !live || !order.request.kind.is_triggered(order.request.side, last) {
        return;
    }
    order.state = OrderState::Open;
    if let Some(price) = order
        .request
        .kind
        .fill_price(order.request.side, last, slippage)
    {
        order.filled = order.request.quantity;
        order.average = Some(price);
        order.state = OrderState::Complete;
    }
}

/// The order with `order_id`, if it can still change.
fn working_order<'a>(
    book: &'a mut PaperBook,
    order_id: &str,
    endpoint: &str,
) -> Result<&'a mut PaperOrder, BrokerError> {
    let order = book
        .orders
        .iter_mut()
        .find(|o| o.id == order_id)
        .ok_or_else(|| BrokerError::new(ErrorClass::Rejected, endpoint, "unknown order id"))?;
    if order.state.is_final() {
        return Err(BrokerError::new(
            ErrorClass::Rejected,
            endpoint,
            "the order already ended",
        ));
    }
    Ok(order)
}

impl OrderBroker for PaperBroker {
    async fn place(&self, request: &OrderRequest) -> Result<Vec<String>, BrokerError> {
        let mut book = self.book();
        let Some(&last) = book.last.get(&request.instrument) else {
            return Err(BrokerError::new(
                ErrorClass::Rejected,
                "paper order",
                format!("no price for {} yet", request.instrument),
            ));
        };
        let id = format!("PAPER-{}", book.orders.len() + 1);
        let state = if request.kind.is_triggered(request.side, last) {
            OrderState::Open
        } else {
            OrderState::TriggerPending
        };
        let mut order = PaperOrder {
            id: id.clone(),
            request: request.clone(),
            filled: 0,
            average: None,
            state,
        };
        match_order(
            &mut order,
            last,
            last * self.slippage_bps / Decimal::from(10_000),
        );
        book.orders.push(order);
        Ok(vec![id])
    }

    async fn cancel(&self, order_id: &str) -> Result<(), BrokerError> {
        let mut book = self.book();
        working_order(&mut book, order_id, "paper cancel")?.state = OrderState::Cancelled;
        Ok(())
    }

    async fn modify(&self, order_id: &str, request: &OrderRequest) -> Result<(), BrokerError> {
        let mut book = self.book();
        let last = book.last.get(&request.instrument).copied();
        let order = working_order(&mut book, order_id, "paper modify")?;
        order.request.kind = request.kind;
        if let Some(last) = last {
            if !order.request.kind.is_triggered(order.request.side, last) {
                order.state = OrderState::TriggerPending;
            }
            match_order(
                order,
                last,
                last * self.slippage_bps / Decimal::from(10_000),
            );
        }
        Ok(())
    }

    async fn orders_tagged(&self, tag: &OrderTag) -> Result<Vec<OrderReport>, BrokerError> {
        Ok(self
            .book()
            .orders
            .iter()
            .filter(|o| &o.request.tag == tag)
            .map(Self::report)
            .collect())
    }

    async fn order_book(&self) -> Result<Vec<OrderReport>, BrokerError> {
        Ok(self.book().orders.iter().map(Self::report).collect())
    }
}
