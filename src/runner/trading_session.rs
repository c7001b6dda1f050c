//! One continuous session: prices from the failover feed drive the engine; its orders go through the executor;
//! fills and order ends come back from order-book polls; every decision and event is journaled.
//!
//! The engine stays synchronous: this loop is the only place that awaits, and it feeds the engine one event at a
//! time with the time the event happened on the injected clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};

use crate::broker::{BrokerError, OrderBroker};
use crate::calendar::Clock;
use crate::config::ChargeRates;
use crate::domain::{InstrumentId, OrderTag, Side, Tick, TickSource};
use crate::engine::{Command, Engine, EngineEvent, EngineNote};
use crate::execution::{Executor, PaperBroker, SubmitOutcome};
use crate::feed::{FeedOutput, FeedState};
use crate::journal::{Journal, JournalEntry};
use crate::status::{PositionLine, StatusBoard};

/// How often the order book is polled for fills, and the engine's timer ticks, in session time.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How long `wind_down` keeps polling for cancels and exits to settle, in session time.
const WIND_DOWN_WAIT: Duration = Duration::from_secs(10);

/// A time the feed fell back to polling, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackEpisode {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// What a session did, for the close report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    pub ticks: u64,
    pub orders: u64,
    pub fills: u64,
    pub round_trips: u64,
    /// Gross of charges.
    pub realized_pnl: Decimal,
    /// The charges estimate of the round trips.
    pub charges: Decimal,
    pub fallbacks: Vec<FallbackEpisode>,
}

/// One instrument's prices in the current minute, journaled as one summary.
struct MinuteBar {
    minute: DateTime<Utc>,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    stream: u32,
    poll: u32,
}

/// An open round trip, from the first entry fill to the flat position.
struct RoundTrip {
    side: Side,
    quantity: u32,
    entry_time: DateTime<Utc>,
    slippage: Decimal,
    /// Filled value per order tag and side: P&L is sold minus bought whatever the direction, and brokerage is
    /// charged per executed order.
    bought: HashMap<String, Decimal>,
    sold: HashMap<String, Decimal>,
}

pub struct TradingSession<O: OrderBroker> {
    clock: Clock,
    engine: Engine,
    executor: Executor<O>,
    /// In paper mode, the broker that fills against the feed's prices.
    paper: Option<Arc<PaperBroker>>,
    journal: Journal,
    status: Arc<StatusBoard>,
    charges: ChargeRates,
    bars: HashMap<InstrumentId, MinuteBar>,
    signal_prices: HashMap<OrderTag, Decimal>,
    trips: HashMap<InstrumentId, RoundTrip>,
    exit_reasons: HashMap<InstrumentId, String>,
    summary: SessionSummary,
}

impl<O: OrderBroker> TradingSession<O> {
    pub fn new(
        clock: Clock,
        engine: Engine,
        executor: Executor<O>,
        paper: Option<Arc<PaperBroker>>,
        journal: Journal,
        status: Arc<StatusBoard>,
        charges: ChargeRates,
    ) -> Self {
        TradingSession {
            clock,
            engine,
            executor,
            paper,
            journal,
            status,
            charges,
            bars: HashMap::new(),
            signal_prices: HashMap::new(),
            trips: HashMap::new(),
            exit_reasons: HashMap::new(),
            summary: SessionSummary::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs until the clock reaches `until`, the feed ends, or `stop` turns true.
    pub async fn run_until(
        &mut self,
        feed: &mut mpsc::Receiver<FeedOutput>,
        until: DateTime<Utc>,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionSummary {
        let mut next_sync = self.clock.now();
        loop {
            let now = self.clock.now();
            if now >= until || *stop.borrow() {
                break;
            }
            tokio::select! {
                _ = stop.changed() => {},
                output = feed.recv() => match output {
                    Some(FeedOutput::Tick(tick)) => self.on_tick(tick).await,
                    Some(FeedOutput::State { state, at }) => self.on_feed_state(state, at).await,
                    None => break,
                },
                _ = self.clock.sleep_until(next_sync.min(until)) => {
                    next_sync = self.clock.now() + TimeDelta::from_std(SYNC_EVERY).expect("a small duration");
                    self.sync().await;
                }
            }
        }
        self.flush_bars();
        if let Err(e) = self.journal.flush() {
            tracing::error!(error = %e, "journal flush failed at the end of the session");
        }
        self.summary.clone()
    }

    /// Stops trading: pending entries cancelled, positions closed when `flatten`, then the order book polled
    /// until nothing of ours works any more (or `WIND_DOWN_WAIT` passes) and the journal flushed.
    pub async fn wind_down(&mut self, flatten: bool) -> SessionSummary {
        let now = self.clock.now();
        let commands = self
            .engine
            .on_event(EngineEvent::Shutdown { at: now, flatten });
        self.execute(commands).await;
        let deadline = now + TimeDelta::from_std(WIND_DOWN_WAIT).expect("a small duration");
        while self.executor.has_working_orders() && self.clock.now() < deadline {
            self.clock.sleep(SYNC_EVERY).await;
            self.sync().await;
        }
        if let Err(e) = self.journal.flush() {
            tracing::error!(error = %e, "journal flush failed while stopping");
        }
        self.summary.clone()
    }

    async fn on_tick(&mut self, tick: Tick) {
        self.summary.ticks += 1;
        self.status.price(&tick.instrument, tick.received_at);
        if let Some(paper) = &self.paper {
            paper.on_price(&tick.instrument, tick.last_price);
        }
        self.add_to_bar(&tick);
        let commands = self.engine.on_event(EngineEvent::Tick(tick));
        self.execute(commands).await;
    }

    async fn on_feed_state(&mut self, state: FeedState, at: DateTime<Utc>) {
        let reason = match &state {
            FeedState::Polling { reason } | FeedState::Reconnecting { reason } => {
                Some(reason.to_string())
            }
            _ => None,
        };
        if let (FeedState::Polling { .. }, Some(reason)) = (&state, &reason) {
            self.summary.fallbacks.push(FallbackEpisode {
                at,
                reason: reason.clone(),
            });
        }
        self.status.set_feed_state(state.name(), reason.clone());
        self.journal.record(
            at,
            JournalEntry::FeedState {
                state: state.name().into(),
                reason,
            },
        );
        let healthy = state != FeedState::AuthFailed;
        let commands = self.engine.on_event(EngineEvent::FeedHealth(healthy));
        self.execute(commands).await;
    }

    /// Fills and order ends from the broker, then the engine's timer.
    async fn sync(&mut self) {
        let now = self.clock.now();
        let polled = if self.executor.has_working_orders() {
            Some(self.executor.sync().await)
        } else {
            None
        };
        match polled.unwrap_or(Ok(Vec::new())) {
            Ok(events) => {
                for event in events {
                    self.journal_order_event(&event, now);
                    let commands = self.engine.on_event(event);
                    self.execute(commands).await;
                }
            }
            Err(e) => self.record_error(&e, now),
        }
        let commands = self.engine.on_event(EngineEvent::Timer(now));
        self.execute(commands).await;
        let positions = self
            .engine
            .open_positions()
            .map(|(p, last)| PositionLine {
                instrument: p.instrument.to_string(),
                quantity: p.net_quantity,
                average_price: p.average_price,
                last_price: last,
            })
            .collect();
        self.status.set_book(positions, self.engine.day_pnl());
    }

    fn record_error(&self, e: &BrokerError, now: DateTime<Utc>) {
        self.status.error(e.class.as_str());
        self.journal.record(
            now,
            JournalEntry::Error {
                class: e.class.to_string(),
                message: e.to_string(),
            },
        );
    }

    /// Carries out commands the engine gave before the session started, e.g. stops for restored positions.
    pub async fn begin(&mut self, commands: Vec<Command>) {
        self.execute(commands).await;
    }

    async fn execute(&mut self, commands: Vec<Command>) {
        for command in commands {
            let now = self.clock.now();
            match command {
                Command::Note(note) => self.journal_note(note, now),
                Command::Modify(order) => {
                    let request = order.request();
                    match self.executor.modify(&order).await {
                        Ok(()) => self.journal.record(
                            now,
                            JournalEntry::OrderModified {
                                tag: request.tag.to_string(),
                                order_type: request.kind.code().into(),
                                limit_price: request.kind.limit_price(),
                                trigger_price: request.kind.trigger_price(),
                            },
                        ),
                        Err(e) => self.record_error(&e, now),
                    }
                }
                Command::Cancel(tag) => {
                    if let Err(e) = self.executor.cancel(&tag).await {
                        self.record_error(&e, now);
                    }
                }
                Command::Place(order) => {
                    self.summary.orders += 1;
                    let request = order.request().clone();
                    self.signal_prices
                        .insert(request.tag.clone(), order.signal_price());
                    let sent = Instant::now();
                    let (outcome, events) = self.executor.submit(&order).await;
                    self.status.order_sent(sent.elapsed());
                    let (ids, state) = match &outcome {
                        SubmitOutcome::Accepted(ids) => (ids.clone(), "accepted".to_string()),
                        SubmitOutcome::FoundByTag(ids) => {
                            (ids.clone(), "found by tag after an ambiguous submit".into())
                        }
                        SubmitOutcome::Refused(e) => (Vec::new(), format!("refused: {e}")),
                        SubmitOutcome::Unresolved => {
                            (Vec::new(), "unresolved: watching for its tag".into())
                        }
                    };
                    self.journal.record(
                        now,
                        JournalEntry::Order {
                            tag: request.tag.to_string(),
                            broker_ids: ids,
                            instrument: request.instrument.to_string(),
                            side: request.side.to_string(),
                            quantity: request.quantity,
                            order_type: request.kind.code().into(),
                            limit_price: request.kind.limit_price(),
                            signal_price: order.signal_price(),
                            state,
                        },
                    );
                    for event in events {
                        let follow_up = self.engine.on_event(event);
                        Box::pin(self.execute(follow_up)).await;
                    }
                }
            }
        }
    }

    fn journal_note(&mut self, note: EngineNote, now: DateTime<Utc>) {
        let entry = match note {
            EngineNote::Signal { instrument, signal } => JournalEntry::Signal {
                instrument: instrument.to_string(),
                side: signal.side.to_string(),
                price: signal.price,
                stop: signal.stop,
                target: signal.target,
                reason: signal.reason.into(),
            },
            EngineNote::Refused {
                instrument,
                refusal,
            } => JournalEntry::RiskRefusal {
                instrument: instrument.to_string(),
                reason: refusal.to_string(),
            },
            EngineNote::Disqualified { instrument, why } => JournalEntry::RiskRefusal {
                instrument: instrument.to_string(),
                reason: format!("not traded today: {why:?}"),
            },
            EngineNote::Exit {
                instrument, reason, ..
            } => {
                self.exit_reasons.insert(instrument, reason.to_string());
                return;
            }
            EngineNote::DailyLossTripped { pnl } => JournalEntry::Error {
                class: "risk".into(),
                message: format!(
                    "daily loss limit reached at ₹{pnl}: entries blocked, positions closed"
                ),
            },
        };
        self.journal.record(now, entry);
    }

    /// Journals an order's end, or a fill and the round trip it completes.
    fn journal_order_event(&mut self, event: &EngineEvent, now: DateTime<Utc>) {
        let fill = match event {
            EngineEvent::Fill(fill) => fill,
            EngineEvent::OrderEnded {
                tag,
                rejected,
                reason,
            } => {
                let entry = JournalEntry::OrderEnded {
                    tag: tag.to_string(),
                    rejected: *rejected,
                    reason: reason.clone(),
                };
                self.journal.record(now, entry);
                return;
            }
            _ => return,
        };
        self.summary.fills += 1;
        self.journal.record(now, JournalEntry::from(fill));
        let signal = fill
            .tag
            .as_ref()
            .and_then(|t| self.signal_prices.get(t))
            .copied()
            .unwrap_or(fill.price);
        let value = fill.price * Decimal::from(fill.quantity);
        let slipped = (fill.price - signal).abs() * Decimal::from(fill.quantity);
        let before = self
            .engine
            .position(&fill.instrument)
            .map(|p| p.net_quantity)
            .unwrap_or(0);
        let trip = self
            .trips
            .entry(fill.instrument.clone())
            .or_insert_with(|| RoundTrip {
                side: fill.side,
                quantity: 0,
                entry_time: fill.time,
                slippage: Decimal::ZERO,
                bought: HashMap::new(),
                sold: HashMap::new(),
            });
        trip.slippage += slipped;
        let by_order = match fill.side {
            Side::Buy => &mut trip.bought,
            Side::Sell => &mut trip.sold,
        };
        *by_order
            .entry(fill.tag.as_ref().map(|t| t.to_string()).unwrap_or_default())
            .or_default() += value;
        if fill.side == trip.side {
            trip.quantity += fill.quantity;
            return;
        }
        // `before` is the position the engine holds before it applies this fill.
        if before.unsigned_abs() as u32 == fill.quantity {
            let trip = self.trips.remove(&fill.instrument).expect("present");
            let quantity = Decimal::from(trip.quantity.max(1));
            let bought: Vec<Decimal> = trip.bought.values().copied().collect();
            let sold: Vec<Decimal> = trip.sold.values().copied().collect();
            let (bought_value, sold_value): (Decimal, Decimal) =
                (bought.iter().sum(), sold.iter().sum());
            let pnl = sold_value - bought_value;
            let (entry_value, exit_value) = match trip.side {
                Side::Buy => (bought_value, sold_value),
                Side::Sell => (sold_value, bought_value),
            };
            let charges = self.charges.round_trip(&bought, &sold);
            self.summary.round_trips += 1;
            self.summary.realized_pnl += pnl;
            self.summary.charges += charges;
            self.journal.record(
                now,
                JournalEntry::Trade {
                    instrument: fill.instrument.to_string(),
                    side: trip.side.to_string(),
                    quantity: trip.quantity,
                    entry_time: trip.entry_time,
                    entry_price: (entry_value / quantity).round_dp(2),
                    exit_time: fill.time,
                    exit_price: (exit_value / quantity).round_dp(2),
                    pnl,
                    charges,
                    slippage: trip.slippage,
                    exit_reason: self
                        .exit_reasons
                        .remove(&fill.instrument)
                        // No exit of ours: the resting stop fired at the broker.
                        .unwrap_or_else(|| "stop at the broker".into()),
                },
            );
        }
    }

    fn add_to_bar(&mut self, tick: &Tick) {
        let minute = tick
            .received_at
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(tick.received_at);
        let price = tick.last_price;
        if self
            .bars
            .get(&tick.instrument)
            .is_some_and(|b| b.minute != minute)
        {
            let bar = self.bars.remove(&tick.instrument).expect("present");
            self.journal_bar(&tick.instrument, bar);
        }
        let bar = self
            .bars
            .entry(tick.instrument.clone())
            .or_insert(MinuteBar {
                minute,
                open: price,
                high: price,
                low: price,
                close: price,
                stream: 0,
                poll: 0,
            });
        bar.high = bar.high.max(price);
        bar.low = bar.low.min(price);
        bar.close = price;
        match tick.source {
            TickSource::Stream => bar.stream += 1,
            TickSource::Poll => bar.poll += 1,
        }
    }

    fn journal_bar(&self, instrument: &InstrumentId, bar: MinuteBar) {
        self.journal.record(
            bar.minute + TimeDelta::minutes(1),
            JournalEntry::TickSummary {
                instrument: instrument.to_string(),
                minute: bar.minute,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
                stream_ticks: bar.stream,
                poll_ticks: bar.poll,
            },
        );
    }

    fn flush_bars(&mut self) {
        for (instrument, bar) in std::mem::take(&mut self.bars) {
            self.journal_bar(&instrument, bar);
        }
    }
}
