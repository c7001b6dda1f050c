//! Paper trading: a broker that fills orders against the live (or simulated) prices the bot sees, so the
//! executor, the engine and the journal run exactly as they would live. MARKET-type orders fill at the last price
//! plus slippage in basis points; LIMIT-type orders when the price reaches them; stops on their trigger.
//!
//! By default an order fills whole at the first price that fills it. With fills by trade size
//! (`orders.paper_fills_by_trade_size`), each print fills at most the quantity that traded in it, so an order
//! larger than the prints fills in parts over several prices, as it queues at a real exchange; a print whose size
//! the feed did not send fills what is left.

use std::sync::Mutex;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::broker::{
    BrokerError, ErrorClass, KillSwitchOutcome, OrderBroker, OrderReport, OrderState,
};
use crate::domain::{Exchange, InstrumentId, OrderRequest, OrderTag, Side};

struct PaperOrder {
    id: String,
    request: OrderRequest,
    filled: u32,
    average: Option<Decimal>,
    state: OrderState,
}

/// The last trade of an instrument: its price, and how many shares traded in it when the feed says.
#[derive(Debug, Clone, Copy)]
struct Print {
    price: Decimal,
    size: Option<u64>,
}

#[derive(Default)]
struct PaperBook {
    last: FxHashMap<InstrumentId, Print>,
    orders: Vec<PaperOrder>,
}

/// What paper fills pay over the last price on a MARKET-type order, in basis points.
pub const PAPER_SLIPPAGE_BPS: u32 = 5;

pub struct PaperBroker {
    book: Mutex<PaperBook>,
    slippage_bps: Decimal,
    by_trade_size: bool,
    /// Backtest fills (`at_next_price`): nothing fills against the price an order was decided on, only against
    /// a later one, and limit-type orders pay the slippage too (up to their limit).
    next_price: bool,
}

impl PaperBroker {
    pub fn new(slippage_bps: Decimal) -> Self {
        PaperBroker {
            book: Mutex::new(PaperBook::default()),
            slippage_bps,
            by_trade_size: false,
            next_price: false,
        }
    }

    /// The backtest's fills: an order fills at the first price after the one it was decided on (never against
    /// that price itself), every fill `slippage_bps` against the trader, a limit-type order no worse than its
    /// limit. A candle's few prices are all a backtest has, so filling at the deciding price would be a fill
    /// no one could have had.
    pub fn at_next_price(slippage_bps: Decimal) -> Self {
        PaperBroker {
            next_price: true,
            ..PaperBroker::new(slippage_bps)
        }
    }

    /// The paper broker `dalal run` trades in paper mode: `PAPER_SLIPPAGE_BPS`, fills by trade size when asked.
    pub fn standard(fills_by_trade_size: bool) -> Self {
        PaperBroker::new(Decimal::from(PAPER_SLIPPAGE_BPS))
            .with_fills_by_trade_size(fills_by_trade_size)
    }

    /// Each print fills at most the quantity traded in it (see the module's note).
    pub fn with_fills_by_trade_size(mut self, on: bool) -> Self {
        self.by_trade_size = on;
        self
    }

    /// Fills what `print` fills of `order`; whether it filled any.
    fn fill(&self, order: &mut PaperOrder, print: Print) -> bool {
        let slippage = print.price * self.slippage_bps / Decimal::from(10_000);
        let size = print.size.filter(|_| self.by_trade_size);
        let filled = order.filled;
        if self.next_price {
            match_at_next_price(order, print.price, slippage);
        } else {
            match_order(order, print.price, slippage, size);
        }
        order.filled != filled
    }

    fn book(&self) -> std::sync::MutexGuard<'_, PaperBook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new last price, with the quantity traded at it when known: resting orders on that instrument may fill.
    /// Whether any did.
    pub fn on_price(&self, instrument: &InstrumentId, price: Decimal, size: Option<u64>) -> bool {
        let print = Print { price, size };
        let mut book = self.book();
        match book.last.get_mut(instrument) {
            Some(last) => *last = print,
            None => {
                book.last.insert(instrument.clone(), print);
            }
        }
        let mut filled = false;
        // The state first: it is cheaper to compare than the name, and most of a day's orders have ended.
        for order in book
            .orders
            .iter_mut()
            .filter(|o| !o.state.is_final() && &o.request.instrument == instrument)
        {
            filled |= self.fill(order, print);
        }
        filled
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

/// Fills what `last` fills of `order`: all that is left, or at most `size` shares (a print's traded quantity).
fn match_order(order: &mut PaperOrder, last: Decimal, slippage: Decimal, size: Option<u64>) {
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
        let left = order.request.quantity - order.filled;
        let take = size
            .filter(|n| *n > 0)
            .map_or(left, |n| u32::try_from(n).unwrap_or(u32::MAX).min(left));
        let value = order.average.unwrap_or_default() * Decimal::from(order.filled)
            + price * Decimal::from(take);
        order.filled += take;
        order.average = Some(value / Decimal::from(order.filled));
        if order.filled == order.request.quantity {
            order.state = OrderState::Complete;
        }
    }
}

/// A backtest's fill of `order` against `last`: all of it, `slippage` against the trader on every order type,
/// a limit-type order only once `last` reaches its limit and never worse than it.
fn match_at_next_price(order: &mut PaperOrder, last: Decimal, slippage: Decimal) {
    let live = matches!(order.state, OrderState::Open | OrderState::TriggerPending);
    let side = order.request.side;
    if !live || !order.request.kind.is_triggered(side, last) {
        return;
    }
    order.state = OrderState::Open;
    if order
        .request
        .kind
        .fill_price(side, last, slippage)
        .is_none()
    {
        return;
    }
    let slipped = match side {
        Side::Buy => last + slippage,
        Side::Sell => last - slippage,
    };
    let price = match (order.request.kind.limit_price(), side) {
        (Some(limit), Side::Buy) => slipped.min(limit),
        (Some(limit), Side::Sell) => slipped.max(limit),
        (None, _) => slipped,
    };
    order.average = Some(price);
    order.filled = order.request.quantity;
    order.state = OrderState::Complete;
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
    /// Paper trading never touches the account, so the broker's kill switch is not called.
    async fn kill_switch(&self, exchanges: &[Exchange]) -> Result<KillSwitchOutcome, BrokerError> {
        let names: Vec<String> = exchanges.iter().map(ToString::to_string).collect();
        Ok(KillSwitchOutcome {
            switched_off: false,
            detail: format!(
                "paper mode: the broker's kill switch was not called for {}; new entries are off for the day",
                names.join(", ")
            ),
        })
    }

    async fn place(&self, request: &OrderRequest) -> Result<Vec<String>, BrokerError> {
        let mut book = self.book();
        let Some(&print) = book.last.get(&request.instrument) else {
            return Err(BrokerError::new(
                ErrorClass::Rejected,
                "paper order",
                format!("no price for {} yet", request.instrument),
            ));
        };
        let id = format!("PAPER-{}", book.orders.len() + 1);
        let state = if request.kind.is_triggered(request.side, print.price) {
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
        if !self.next_price {
            self.fill(&mut order, print);
        }
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
        if let Some(print) = last {
            if !order
                .request
                .kind
                .is_triggered(order.request.side, print.price)
            {
                order.state = OrderState::TriggerPending;
            }
            if !self.next_price {
                self.fill(order, print);
            }
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
