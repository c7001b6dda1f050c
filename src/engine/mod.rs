//! The trading engine: a synchronous state machine, events in and commands out. No I/O, no awaiting, no wall
//! clock: time comes with each event, so a recorded or simulated day replays to the same decisions.
//!
//! Per instrument it runs the continuation `Setup`, sends entries through `risk`, watches open trades with the
//! `stop_monitor`, and keeps the position book from fills. Across instruments it holds the day's limits: open
//! positions, capital, the daily loss (realized plus unrealized), the last entry and flat times. Closing trades
//! (exit orders, the resting stop, the day's limits) is in `exits`; what happens to an order that does not do
//! what was asked in time (an entry cancelled, an exit re-priced and escalated, a refused modify replaced) in
//! `order_followup`; taking back a day after a restart in `restore`.

mod exits;
#[cfg(test)]
mod operator_tests;
mod operator_view;
mod order_followup;
mod restore;
mod risk;
mod session_day;
mod setup;
mod stop_monitor;
#[cfg(test)]
mod tests;

use rustc_hash::FxHashMap;

use chrono::{DateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

use crate::calendar::{MarketCalendar, to_ist};
use crate::config::{OrderPolicy, RiskLimits, SessionCutoffs, StrategyConfig};
use crate::domain::{
    Exchange, Fill, Instrument, InstrumentId, OrderTag, Position, Tick, TickSource,
};

pub use restore::{LeftWorking, Restoration};
pub use risk::{ApprovedOrder, PRICE_PROTECTION_PCT, Refusal};
pub use setup::{Disqualified, EntrySignal, SetupState};
pub use stop_monitor::{ExitReason, OpenTrade};

use session_day::SessionDay;
use setup::Setup;

#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    Tick(Tick),
    /// The feed is healthy (`true`) or refused by the broker (`false`, `AuthFailed`).
    FeedHealth(bool),
    /// Pre-open checks and reconciliation passed (or trading was stopped).
    TradingEnabled(bool),
    /// The journal writes (`true`) or cannot (`false`): no entry is made that the journal could not record.
    JournalWrites(bool),
    /// A fill of one of our orders, possibly partial.
    Fill(Fill),
    /// An order of ours ended without (further) fills: cancelled or rejected.
    OrderEnded {
        tag: OrderTag,
        /// Refused or rejected, rather than cancelled.
        rejected: bool,
        reason: String,
    },
    /// An order of ours whose submit had an unknown outcome and that the broker still did not show at the
    /// deadline: it was never placed. An exit is sent again under a new tag, a resting stop rested again.
    OrderLost {
        tag: OrderTag,
        reason: String,
    },
    /// The broker refused to change a working order of ours: it still works as it was.
    ModifyFailed {
        tag: OrderTag,
        reason: String,
    },
    /// The broker refused to cancel a working order of ours: it still works, and may still fill.
    CancelFailed {
        tag: OrderTag,
        reason: String,
    },
    /// The operator paused new entries (`true`) or resumed them; open trades stay guarded either way.
    EntriesPaused(bool),
    /// The operator asked to close `instrument`'s position (every position without one) through the normal
    /// exit escalation; its pending entries are cancelled.
    Flatten {
        at: DateTime<Utc>,
        instrument: Option<InstrumentId>,
    },
    /// Time passes: re-check time rules and confirmations without a new price.
    Timer(DateTime<Utc>),
    /// The bot is stopping: no new entries, pending entries cancelled, and open positions closed if `flatten`
    /// (else left to the trader, or to a restart that re-arms their stops).
    Shutdown {
        at: DateTime<Utc>,
        flatten: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Place(ApprovedOrder),
    /// Change a working order in place: a resting stop following the trail, or becoming the exit.
    Modify(ApprovedOrder),
    Cancel(OrderTag),
    /// Switch trading off at the broker for these exchanges' cash segments (`risk.kill_switch_on_daily_loss`).
    KillSwitch {
        exchanges: Vec<Exchange>,
    },
    Note(EngineNote),
}

/// What the engine decided and why, for the journal.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineNote {
    Signal {
        instrument: InstrumentId,
        signal: EntrySignal,
    },
    Refused {
        instrument: InstrumentId,
        refusal: Refusal,
    },
    Disqualified {
        instrument: InstrumentId,
        why: Disqualified,
    },
    Exit {
        instrument: InstrumentId,
        reason: ExitReason,
        price: Decimal,
    },
    DailyLossTripped {
        pnl: Decimal,
    },
    /// An open trade's stop moved with the trail.
    StopMoved {
        instrument: InstrumentId,
        stop: Decimal,
    },
    /// An exit went unfilled through every re-pricing: it keeps following the market at the widest reach.
    ExitEscalated {
        instrument: InstrumentId,
        tag: OrderTag,
        reason: ExitReason,
    },
}

/// An order the engine is waiting on.
#[derive(Debug, Clone)]
struct Pending {
    instrument: InstrumentId,
    entry: Option<EntrySignal>,
    exit: Option<ExitReason>,
    /// The order's whole quantity, as sent.
    quantity: u32,
    remaining: u32,
    cancel_requested: bool,
    /// For an entry whose cancel the broker refused: when the cancel is asked again.
    cancel_again_at: Option<DateTime<Utc>>,
    /// When it was sent, or last re-priced.
    sent_at: DateTime<Utc>,
    /// For an exit: how many times it has been re-priced.
    step: u32,
    /// Changes the broker refused in a row.
    modify_failures: u32,
    /// Cancelled to be replaced, after the broker refused to change it: its replacement goes out at once.
    replacing: bool,
}

impl Pending {
    fn new(
        instrument: &InstrumentId,
        entry: Option<EntrySignal>,
        exit: Option<ExitReason>,
        quantity: u32,
        sent_at: DateTime<Utc>,
    ) -> Self {
        Pending {
            instrument: instrument.clone(),
            entry,
            exit,
            quantity,
            remaining: quantity,
            cancel_requested: false,
            cancel_again_at: None,
            sent_at,
            step: 0,
            modify_failures: 0,
            replacing: false,
        }
    }
}

struct InstrumentBook {
    instrument: Instrument,
    setup: Setup,
    trade: Option<OpenTrade>,
    position: Position,
    last: Option<Tick>,
    /// For a polled price, the span it says nothing about: the time since the price before it, and never less than
    /// the polling cadence (a catch-up poll just after a late one does not make polling fast).
    poll_gap: Option<chrono::TimeDelta>,
    trades_today: u32,
    /// A pending order for this instrument (one at a time).
    pending: Option<OrderTag>,
    /// The kind of the last refusal of an entry, until an entry is approved.
    last_refusal: Option<std::mem::Discriminant<Refusal>>,
    /// The stop order resting at the broker for the open trade, when `exit.protective_stop` is on.
    protective: Option<OrderTag>,
    /// An exit or a resting stop that ended without closing the trade, to be sent again at this time.
    retry: Option<Retry>,
}

impl InstrumentBook {
    /// Whether an exit that ended short is to be sent again (by `follow_up`, when due).
    fn exit_due_again(&self) -> bool {
        self.retry.is_some_and(|r| r.exit.is_some())
    }
}

/// What to send again for an open trade, and when.
#[derive(Debug, Clone, Copy)]
struct Retry {
    /// An exit for this reason, one re-pricing step further; or, without one, the resting stop.
    exit: Option<(ExitReason, u32)>,
    at: DateTime<Utc>,
}

pub struct Engine {
    calendar: MarketCalendar,
    /// `calendar`'s answers for the day the engine's instants are in.
    day: SessionDay,
    strategy: StrategyConfig,
    limits: RiskLimits,
    cutoffs: SessionCutoffs,
    policy: OrderPolicy,
    /// The feed's polling cadence: see `with_poll_cadence`.
    poll_cadence: chrono::TimeDelta,
    books: FxHashMap<InstrumentId, InstrumentBook>,
    pending: FxHashMap<OrderTag, Pending>,
    feed_ok: bool,
    journal_ok: bool,
    trading_enabled: bool,
    /// New entries paused by the operator.
    paused: bool,
    daily_loss_tripped: bool,
    /// The kill switch was asked for (once a day, when the loss limit tripped and everything is flat).
    kill_switch_asked: bool,
    sequence: u32,
    /// The latest time any event carried: a price processed late is judged by it.
    now: Option<DateTime<Utc>>,
    /// Instruments that traded today: the only ones the day's P&L needs to look at on every tick.
    traded_today: Vec<InstrumentId>,
}

impl Engine {
    pub fn new(
        calendar: MarketCalendar,
        strategy: StrategyConfig,
        limits: RiskLimits,
        cutoffs: SessionCutoffs,
        instruments: Vec<Instrument>,
    ) -> Self {
        let traded = |i: &Instrument| {
            strategy.instruments.is_empty() || strategy.instruments.contains(&i.id.symbol)
        };
        let books = instruments
            .into_iter()
            .filter(|i| traded(i))
            .map(|i| {
                let id = i.id.clone();
                let book = InstrumentBook {
                    position: Position::flat(id.clone()),
                    instrument: i,
                    setup: Setup::new(),
                    trade: None,
                    last: None,
                    poll_gap: None,
                    trades_today: 0,
                    pending: None,
                    last_refusal: None,
                    protective: None,
                    retry: None,
                };
                (id, book)
            })
            .collect();
        Engine {
            calendar,
            day: SessionDay::default(),
            strategy,
            limits,
            cutoffs,
            policy: OrderPolicy::default(),
            poll_cadence: chrono::TimeDelta::zero(),
            books,
            pending: FxHashMap::default(),
            feed_ok: true,
            journal_ok: true,
            trading_enabled: false,
            paused: false,
            daily_loss_tripped: false,
            kill_switch_asked: false,
            sequence: 0,
            now: None,
            traded_today: Vec::new(),
        }
    }

    /// The engine `config` trades: its strategy, risk limits, session cutoffs, universe and order policy.
    pub fn for_config(config: &crate::config::Config, calendar: MarketCalendar) -> Self {
        Engine::new(
            calendar,
            config.strategy.clone(),
            config.bot.risk.clone(),
            config.bot.session.clone(),
            config.bot.universe.clone(),
        )
        .with_order_policy(config.bot.orders)
        .with_poll_cadence(config.bot.feed.poll_interval())
    }

    /// How often the feed polls while the stream is down (`feed.poll_interval_ms`): no polled price is fresher
    /// than that for risk's price-age limit.
    pub fn with_poll_cadence(mut self, cadence: std::time::Duration) -> Self {
        self.poll_cadence = chrono::TimeDelta::from_std(cadence).unwrap_or(chrono::TimeDelta::MAX);
        self
    }

    /// How long orders may work before the engine acts on them (`[orders]` in dalal.toml); the defaults without.
    pub fn with_order_policy(mut self, policy: OrderPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn on_event(&mut self, event: EngineEvent) -> Vec<Command> {
        let mut out = Vec::new();
        match event {
            EngineEvent::Tick(tick) => {
                let now = self.advance(tick.received_at);
                self.on_tick(tick, now, &mut out);
                self.check_day_limits(now, &mut out);
                self.follow_up(now, &mut out);
            }
            EngineEvent::FeedHealth(ok) => self.feed_ok = ok,
            EngineEvent::JournalWrites(ok) => self.journal_ok = ok,
            EngineEvent::TradingEnabled(enabled) => self.trading_enabled = enabled,
            EngineEvent::EntriesPaused(paused) => self.paused = paused,
            EngineEvent::Flatten { at, instrument } => {
                let now = self.advance(at);
                self.wind_down(
                    Some(ExitReason::Operator),
                    instrument.as_ref(),
                    now,
                    &mut out,
                );
            }
            EngineEvent::Fill(fill) => self.on_fill(&fill, &mut out),
            EngineEvent::OrderEnded { tag, .. } => self.on_order_ended(&tag),
            EngineEvent::OrderLost { tag, .. } => self.on_order_lost(&tag, &mut out),
            EngineEvent::ModifyFailed { tag, .. } => self.on_modify_failed(&tag, &mut out),
            EngineEvent::CancelFailed { tag, .. } => self.on_cancel_failed(&tag),
            EngineEvent::Timer(at) => {
                let now = self.advance(at);
                self.check_day_limits(now, &mut out);
                self.follow_up(now, &mut out);
            }
            EngineEvent::Shutdown { at, flatten } => {
                let now = self.advance(at);
                self.trading_enabled = false;
                // Stopping, no timer follows: a cancel the broker refused earlier is asked again now.
                for pending in self.pending.values_mut() {
                    pending.cancel_again_at = None;
                }
                self.wind_down(flatten.then_some(ExitReason::Shutdown), None, now, &mut out);
            }
        }
        out
    }

    pub fn position(&self, instrument: &InstrumentId) -> Option<&Position> {
        self.books.get(instrument).map(|b| &b.position)
    }

    /// Every open position with its instrument's last price.
    pub fn open_positions(&self) -> impl Iterator<Item = (&Position, Option<Decimal>)> {
        self.books
            .values()
            .filter(|b| !b.position.is_flat())
            .map(|b| (&b.position, b.last.as_ref().map(|t| t.last_price)))
    }

    pub fn open_trade(&self, instrument: &InstrumentId) -> Option<&OpenTrade> {
        self.books.get(instrument).and_then(|b| b.trade.as_ref())
    }

    /// Realized plus unrealized P&L of the day at the last prices.
    pub fn day_pnl(&self) -> Decimal {
        self.traded_today
            .iter()
            .filter_map(|id| self.books.get(id))
            .map(|b| {
                // Asked on every price: a flat position's unrealized P&L is zero without the arithmetic.
                if b.position.is_flat() {
                    return b.position.realized_pnl;
                }
                let mark = b
                    .last
                    .as_ref()
                    .map_or(b.position.average_price, |t| t.last_price);
                b.position.realized_pnl + b.position.unrealized_pnl(mark)
            })
            .sum()
    }

    fn advance(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        let now = self.now.map_or(at, |n| n.max(at));
        self.now = Some(now);
        now
    }

    fn session_open(&self, at: DateTime<Utc>) -> Option<NaiveTime> {
        self.day.session_open(&self.calendar, at)
    }

    fn local_time(&self, at: DateTime<Utc>) -> NaiveTime {
        self.day.local_time(&self.calendar, at)
    }

    fn next_tag(
        &mut self,
        instrument: &InstrumentId,
        purpose: char,
        at: DateTime<Utc>,
    ) -> OrderTag {
        self.sequence += 1;
        self.tag(instrument, purpose, at, self.sequence)
    }

    fn tag(
        &self,
        instrument: &InstrumentId,
        purpose: char,
        at: DateTime<Utc>,
        number: u32,
    ) -> OrderTag {
        OrderTag::ours(to_ist(at).date_naive(), &instrument.symbol, purpose, number)
    }

    fn on_tick(&mut self, tick: Tick, now: DateTime<Utc>, out: &mut Vec<Command>) {
        let in_continuous = self.day.is_continuous(&self.calendar, now);
        let session_open = self.session_open(now);
        let Some(book) = self.books.get_mut(&tick.instrument) else {
            return;
        };
        book.poll_gap = (tick.source == TickSource::Poll).then(|| {
            let since_previous = book
                .last
                .as_ref()
                .map(|previous| tick.received_at - previous.received_at);
            since_previous.unwrap_or_default().max(self.poll_cadence)
        });
        remember(&mut book.last, &tick);
        let exiting = book
            .pending
            .as_ref()
            .and_then(|t| self.pending.get(t))
            .is_some_and(|p| p.exit.is_some());
        let exit_due_again = book.exit_due_again();
        if let Some(trade) = book.trade.as_mut() {
            // A position is watched from its first fill, also while the rest of its entry works; an exit the
            // broker refused goes again when its retry is due, one step further, not at once as it was.
            if !exiting && !exit_due_again {
                let stop_before = trade.stop;
                let exit = trade.on_price(tick.last_price, &self.strategy);
                let id = tick.instrument.clone();
                if trade.stop != stop_before {
                    out.push(Command::Note(EngineNote::StopMoved {
                        instrument: id.clone(),
                        stop: trade.stop,
                    }));
                }
                match (exit, &book.protective) {
                    (Some(reason), _) => self.exit(&id, reason, now, out),
                    (None, Some(tag)) if trade.stop != stop_before => {
                        out.push(Command::Modify(risk::approve_protective_stop(
                            &book.instrument,
                            trade.side.opposite(),
                            book.position.net_quantity.unsigned_abs() as u32,
                            trade.stop,
                            tag.clone(),
                        )));
                    }
                    _ => {}
                }
            }
            return;
        }
        if !in_continuous || book.pending.is_some() {
            return;
        }
        let Some(open) = session_open else { return };
        let was_disqualified = matches!(book.setup.state, SetupState::Disqualified(_));
        let signal = book.setup.on_price(
            tick.last_price,
            tick.previous_close,
            now,
            open,
            &self.strategy,
        );
        if let (false, SetupState::Disqualified(why)) = (was_disqualified, &book.setup.state) {
            out.push(Command::Note(EngineNote::Disqualified {
                instrument: tick.instrument.clone(),
                why: why.clone(),
            }));
        }
        if let Some(signal) = signal {
            self.enter(&tick.instrument, signal, now, out);
        }
    }

    fn enter(
        &mut self,
        id: &InstrumentId,
        signal: EntrySignal,
        now: DateTime<Utc>,
        out: &mut Vec<Command>,
    ) {
        let open_positions = self
            .books
            .values()
            .filter(|b| b.trade.is_some() || b.pending.is_some())
            .count() as u32;
        let capital_deployed: Decimal = self
            .books
            .values()
            .map(|b| Decimal::from(b.position.net_quantity.abs()) * b.position.average_price)
            .sum();
        let last_entry = self
            .cutoffs
            .last_entry_time
            .min(self.strategy.time.last_entry_time);
        // The sequence advances only for an order that is sent: refusals use no tag.
        let tag = self.tag(id, 'E', now, self.sequence + 1);
        let book = &self.books[id];
        let Some(last) = book.last.as_ref() else {
            return;
        };
        let ctx = risk::EntryContext {
            instrument: &book.instrument,
            signal: &signal,
            last,
            poll_gap: book.poll_gap,
            now,
            in_continuous: self.day.is_continuous(&self.calendar, now),
            before_last_entry: self.local_time(now) < last_entry,
            trading_enabled: self.trading_enabled,
            paused: self.paused,
            feed_ok: self.feed_ok,
            journal_ok: self.journal_ok,
            daily_loss_tripped: self.daily_loss_tripped,
            open_positions,
            capital_deployed,
            trades_today: book.trades_today,
            tag: tag.clone(),
        };
        let signal_note = Command::Note(EngineNote::Signal {
            instrument: id.clone(),
            signal: signal.clone(),
        });
        let approval = risk::approve_entry(&self.limits, &self.strategy, ctx);
        let book = self.books.get_mut(id).expect("checked above");
        match approval {
            Ok(order) => {
                self.sequence += 1;
                out.push(signal_note);
                book.last_refusal = None;
                book.pending = Some(tag.clone());
                book.trades_today += 1;
                let quantity = order.request().quantity;
                self.pending
                    .insert(tag, Pending::new(id, Some(signal), None, quantity, now));
                out.push(Command::Place(order));
            }
            // A setup above its trigger signals on every price: the journal hears a refusal once, not per tick.
            Err(refusal) => {
                let kind = std::mem::discriminant(&refusal);
                if book.last_refusal != Some(kind) {
                    book.last_refusal = Some(kind);
                    out.push(signal_note);
                    out.push(Command::Note(EngineNote::Refused {
                        instrument: id.clone(),
                        refusal,
                    }));
                }
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill, out: &mut Vec<Command>) {
        let Some(tag) = fill.tag.clone() else { return };
        let Some(pending) = self.pending.get_mut(&tag) else {
            return;
        };
        pending.remaining = pending.remaining.saturating_sub(fill.quantity);
        let done = pending.remaining == 0;
        let pending = pending.clone();
        if !self.traded_today.contains(&pending.instrument) {
            self.traded_today.push(pending.instrument.clone());
        }
        let Some(book) = self.books.get_mut(&pending.instrument) else {
            return;
        };
        book.position.apply(fill);
        if let Some(signal) = &pending.entry {
            let quantity = book.position.net_quantity.unsigned_abs() as u32;
            let trade = book.trade.get_or_insert_with(|| {
                OpenTrade::new(
                    signal.side,
                    quantity,
                    fill.price,
                    signal.stop,
                    signal.target,
                )
            });
            trade.quantity = quantity;
            trade.entry_price = book.position.average_price;
        }
        if pending.exit.is_some() && book.position.is_flat() {
            book.trade = None;
            book.retry = None;
            book.setup.rearm();
        }
        if done {
            if book.pending.as_ref() == Some(&tag) {
                book.pending = None;
            }
            if book.protective.as_ref() == Some(&tag) {
                book.protective = None;
            }
            self.pending.remove(&tag);
        }
        if pending.entry.is_some() {
            // Filled shares are a position at once: guarded by a resting stop sized to what filled so far.
            self.guard_entry_fill(&pending.instrument, fill.time, out);
        }
        if let Some(tick) = self
            .books
            .get(&pending.instrument)
            .and_then(|b| b.last.clone())
        {
            self.check_day_limits(tick.received_at, out);
        }
    }

    /// Whether an exit order works for the instrument (a resting stop that has not become the exit does not
    /// count).
    fn exit_working(&self, id: &InstrumentId) -> bool {
        self.books
            .get(id)
            .and_then(|b| b.pending.as_ref())
            .and_then(|t| self.pending.get(t))
            .is_some_and(|p| p.exit.is_some())
    }
}

/// Keeps `tick` as its instrument's last price. The book's instrument never changes, so the observation is
/// copied into the price kept before, without a new allocation for the name on every price.
fn remember(last: &mut Option<Tick>, tick: &Tick) {
    let Some(kept) = last.as_mut() else {
        *last = Some(tick.clone());
        return;
    };
    // Named field by field, so a field added to `Tick` is a compile error here rather than a stale copy.
    let Tick {
        instrument: _,
        last_price,
        last_trade_time,
        last_quantity,
        previous_close,
        source,
        received_at,
    } = *tick;
    kept.last_price = last_price;
    kept.last_trade_time = last_trade_time;
    kept.last_quantity = last_quantity;
    kept.previous_close = previous_close;
    kept.source = source;
    kept.received_at = received_at;
}
