//! One continuous session's event loop: prices from the failover feed, reports from the order desk and a
//! one-second timer drive the engine; the engine's order commands go to the desk; everything is written down by
//! the `DayBook`.
//!
//! The engine stays synchronous and this loop never waits on the broker: a submit that hangs, a book poll that
//! retries, a cancel that times out all happen in the desk's own task, so prices keep reaching the engine and
//! stops keep being checked meanwhile.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{mpsc, watch};

use super::day_book::{DayBook, FallbackEpisode, SessionSummary};
use crate::broker::{BrokerError, OrderBroker};
use crate::calendar::Clock;
use crate::config::ChargeRates;
use crate::engine::{Command, Engine, EngineEvent};
use crate::execution::{DeskReport, DeskRequest, Executor, OrderDesk, PaperBroker, SYNC_EVERY};
use crate::feed::{FeedOutput, FeedState};
use crate::journal::{Journal, JournalEntry, Recorder};
use crate::status::{ControlInbox, FlattenRequest, OrderLine, PositionLine, StatusBoard};

/// How long `wind_down` waits for cancels to settle, in session time.
const WIND_DOWN_WAIT: Duration = Duration::from_secs(10);
/// How long it waits when it closes positions too: long enough for the exit escalation's re-pricings.
const FLATTEN_WAIT: Duration = Duration::from_secs(60);

pub struct TradingSession {
    clock: Clock,
    engine: Engine,
    desk: OrderDesk,
    /// In paper mode, the broker that fills against the feed's prices.
    paper: Option<Arc<PaperBroker>>,
    journal: Journal,
    status: Arc<StatusBoard>,
    book: DayBook,
    /// Whether any order of ours still works, as the desk last said.
    orders_working: bool,
    /// The journal's last commit failed (see `watch_journal`).
    journal_failing: bool,
    /// Turns true when a pre-open check that failed passes later in the session: entries go on then.
    entries_gate: Option<watch::Receiver<bool>>,
    /// Every event the engine is given, for `dalal replay`.
    recorder: Recorder,
}

impl TradingSession {
    /// Starts the order desk around `executor`.
    pub fn new<O: OrderBroker>(
        clock: Clock,
        engine: Engine,
        executor: Executor<O>,
        paper: Option<Arc<PaperBroker>>,
        journal: Journal,
        status: Arc<StatusBoard>,
        charges: ChargeRates,
    ) -> Self {
        let orders_working = executor.has_working_orders();
        TradingSession {
            desk: OrderDesk::start(executor, clock.clone()),
            clock,
            engine,
            paper,
            book: DayBook::new(journal.clone(), charges),
            journal,
            status,
            orders_working,
            journal_failing: false,
            entries_gate: None,
            recorder: Recorder::off(),
        }
    }

    /// Records every event the engine is given from now on into `recorder`.
    pub fn record_into(&mut self, recorder: Recorder) {
        self.recorder = recorder;
    }

    /// New entries go on when `gate` turns true (the session began with them off).
    pub fn open_entries_on(&mut self, gate: watch::Receiver<bool>) {
        self.entries_gate = Some(gate);
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs until the clock reaches `until`, the feed ends, or `stop` turns true; the operator's pause and
    /// flatten reach the engine from `controls` meanwhile.
    pub async fn run_until(
        &mut self,
        feed: &mut mpsc::Receiver<FeedOutput>,
        until: DateTime<Utc>,
        stop: &mut watch::Receiver<bool>,
        controls: &mut ControlInbox,
    ) -> SessionSummary {
        let every = TimeDelta::from_std(SYNC_EVERY).expect("a small duration");
        let mut next_timer = self.clock.now();
        loop {
            let now = self.clock.now();
            if now >= until || *stop.borrow() {
                break;
            }
            tokio::select! {
                _ = stop.changed() => {},
                output = feed.recv() => match output {
                    Some(output) => self.on_feed(output),
                    None => break,
                },
                Some(report) = self.desk.next_report() => self.on_report(report),
                Ok(()) = controls.paused.changed() => {
                    let paused = *controls.paused.borrow_and_update();
                    self.tell_engine(EngineEvent::EntriesPaused(paused));
                }
                Some(request) = controls.flatten.recv() => self.flatten(request),
                true = gate_opens(&mut self.entries_gate) => {
                    self.entries_gate = None;
                    self.tell_engine(EngineEvent::TradingEnabled(true));
                    self.status.set_trading_enabled(true);
                }
                _ = self.clock.sleep_until(next_timer.min(until)) => {
                    next_timer = self.clock.now() + every;
                    self.watch_journal();
                    self.tell_engine(EngineEvent::Timer(self.clock.now()));
                    self.show_book();
                }
            }
        }
        self.book.flush_bars();
        if let Err(e) = self.journal.flush().await {
            tracing::error!(error = %e, "journal flush failed at the end of the session");
        }
        self.book.summary().clone()
    }

    /// Entries stop while the journal cannot write, and resume when it writes again; `/health` shows why.
    fn watch_journal(&mut self) {
        let trouble = self.journal.trouble();
        if trouble.is_some() != self.journal_failing {
            self.journal_failing = trouble.is_some();
            self.tell_engine(EngineEvent::JournalWrites(trouble.is_none()));
            self.status.set_journal_trouble(trouble);
        }
    }

    /// Stops trading: pending entries cancelled and, when `flatten` (or once the operator's kill comes), open
    /// positions closed through the exit escalation, which goes on meanwhile: prices still reach the engine and
    /// its one-second timer re-prices the exits. Ends once nothing of ours works and (flattening) nothing is
    /// open, or after `WIND_DOWN_WAIT` (`FLATTEN_WAIT` when flattening); the journal is flushed, and a position
    /// still open then is said loudly.
    pub async fn wind_down(
        &mut self,
        flatten: bool,
        feed: &mut mpsc::Receiver<FeedOutput>,
        controls: &mut ControlInbox,
    ) -> SessionSummary {
        let mut flatten = flatten;
        let now = self.clock.now();
        self.tell_engine(EngineEvent::Shutdown { at: now, flatten });
        let wait = |flatten: bool| {
            let wait = if flatten {
                FLATTEN_WAIT
            } else {
                WIND_DOWN_WAIT
            };
            TimeDelta::from_std(wait).expect("a small duration")
        };
        let every = TimeDelta::from_std(SYNC_EVERY).expect("a small duration");
        let mut deadline = now + wait(flatten);
        let mut next_timer = now + every;
        // The desk reports after every poll; one report at least, so `orders_working` is not a stale answer.
        let mut heard = false;
        while !heard
            || self.orders_working
            || (flatten && self.engine.open_positions().next().is_some())
        {
            tokio::select! {
                report = self.desk.next_report() => match report {
                    Some(report) => {
                        heard |= matches!(report, DeskReport::Synced { .. });
                        self.on_report(report);
                    }
                    None => break,
                },
                Some(output) = feed.recv() => self.on_feed(output),
                Ok(()) = controls.killed.changed(), if !flatten => {
                    if *controls.killed.borrow_and_update() {
                        flatten = true;
                        let now = self.clock.now();
                        self.tell_engine(EngineEvent::Shutdown { at: now, flatten });
                        deadline = now + wait(flatten);
                    }
                }
                _ = self.clock.sleep_until(next_timer) => {
                    next_timer = self.clock.now() + every;
                    self.tell_engine(EngineEvent::Timer(self.clock.now()));
                }
                _ = self.clock.sleep_until(deadline) => break,
            }
        }
        if flatten {
            self.still_open_after_wind_down();
        }
        if let Err(e) = self.journal.flush().await {
            tracing::error!(error = %e, "journal flush failed while stopping");
        }
        self.book.summary().clone()
    }

    /// Positions a flattening wind-down could not close in time: journaled and logged as errors, with what
    /// still guards them.
    fn still_open_after_wind_down(&mut self) {
        let open: Vec<String> = self
            .engine
            .open_positions()
            .map(|(p, _)| format!("{} {:+}", p.instrument, p.net_quantity))
            .collect();
        if open.is_empty() {
            return;
        }
        let message = format!(
            "still open when the bot stopped: {}. Close them at the broker; a resting stop of ours, if the \
             strategy keeps one, still guards each",
            open.join(", ")
        );
        tracing::error!("{message}");
        self.status.error("order");
        self.journal.record(
            self.clock.now(),
            JournalEntry::Error {
                class: "order".into(),
                message,
            },
        );
    }

    /// Takes today's earlier fills back after a restart, so round trips opened before it close whole.
    pub fn resume(&mut self, fills: &[crate::domain::Fill]) {
        self.book.resume(fills);
    }

    /// Carries out commands the engine gave before the session started, e.g. stops for restored positions.
    pub fn begin(&mut self, commands: Vec<Command>) {
        self.execute(commands);
    }

    /// The operator's flatten: the named instrument's position (or every one) closed through the exit
    /// escalation, its pending entries cancelled; the answer says what is being closed.
    fn flatten(&mut self, request: FlattenRequest) {
        if request.reply.is_closed() {
            return; // asked while no session ran; the operator was told so then
        }
        let instrument = match &request.symbol {
            None => None,
            Some(name) => match self.engine.instrument_named(name) {
                Ok(id) => Some(id),
                Err(why) => {
                    let _ = request.reply.send(Err(why));
                    return;
                }
            },
        };
        let closing: Vec<String> = self
            .engine
            .open_positions()
            .filter(|(p, _)| instrument.as_ref().is_none_or(|id| *id == p.instrument))
            .map(|(p, _)| format!("{} {:+}", p.instrument, p.net_quantity))
            .collect();
        let now = self.clock.now();
        self.tell_engine(EngineEvent::Flatten {
            at: now,
            instrument: instrument.clone(),
        });
        let which = instrument.map_or("every instrument".to_string(), |id| id.to_string());
        let answer = if closing.is_empty() {
            format!("nothing open in {which}; its pending entries, if any, are cancelled")
        } else {
            format!(
                "closing {} through the exit escalation; pending entries in {which} cancelled",
                closing.join(", ")
            )
        };
        let _ = request.reply.send(Ok(answer));
    }

    fn on_feed(&mut self, output: FeedOutput) {
        match output {
            FeedOutput::Tick(tick) => {
                self.book.price(&tick, self.clock.now());
                self.status.price(&tick);
                if let Some(paper) = &self.paper {
                    paper.on_price(&tick.instrument, tick.last_price, tick.last_quantity);
                }
                self.tell_engine(EngineEvent::Tick(tick));
            }
            FeedOutput::State { state, at } => self.on_feed_state(state, at),
        }
    }

    fn on_feed_state(&mut self, state: FeedState, at: DateTime<Utc>) {
        let reason = match &state {
            FeedState::Polling { reason } | FeedState::Reconnecting { reason } => {
                Some(reason.to_string())
            }
            _ => None,
        };
        if let (FeedState::Polling { .. }, Some(reason)) = (&state, &reason) {
            self.book.fallback(FallbackEpisode {
                at,
                reason: reason.clone(),
            });
        }
        self.status.set_feed_state(at, state.name(), reason.clone());
        self.journal.record(
            at,
            JournalEntry::FeedState {
                state: state.name().into(),
                reason,
            },
        );
        self.tell_engine(EngineEvent::FeedHealth(state != FeedState::AuthFailed));
    }

    fn on_report(&mut self, report: DeskReport) {
        let now = self.clock.now();
        match report {
            DeskReport::Transitions(transitions) => self.book.order_transitions(transitions),
            DeskReport::OrderStream { down } => {
                let state = if down.is_some() {
                    "polling"
                } else {
                    "streaming"
                };
                self.status.set_order_stream(state, down.clone());
                self.journal.record(
                    now,
                    JournalEntry::OrderStream {
                        state: state.into(),
                        reason: down,
                    },
                );
            }
            DeskReport::Placed {
                order,
                outcome,
                took,
                events,
            } => {
                self.status.order_sent(took);
                self.book.order_placed(&order, &outcome, now);
                self.order_events(events, now);
            }
            DeskReport::Modified { order, result } => match result {
                Ok(()) => self.book.order_modified(&order, now),
                Err(e) => {
                    self.record_error(&e, now);
                    self.tell_engine(EngineEvent::ModifyFailed {
                        tag: order.request().tag.clone(),
                        reason: e.to_string(),
                    });
                }
            },
            DeskReport::KillSwitch(result) => {
                let entry = match result {
                    Ok(outcome) => JournalEntry::KillSwitch {
                        switched_off: outcome.switched_off,
                        detail: outcome.detail,
                    },
                    Err(e) => {
                        self.record_error(&e, now);
                        JournalEntry::KillSwitch {
                            switched_off: false,
                            detail: e.to_string(),
                        }
                    }
                };
                self.journal.record(now, entry);
            }
            DeskReport::CancelFailed { tag, error } => {
                self.record_error(&error, now);
                self.tell_engine(EngineEvent::CancelFailed {
                    tag,
                    reason: error.to_string(),
                });
            }
            DeskReport::Synced {
                result,
                working,
                skipped_rows,
            } => {
                self.orders_working = working;
                for row in skipped_rows {
                    self.status.error("unreadable_row");
                    self.journal.record(
                        now,
                        JournalEntry::Error {
                            class: "unreadable_row".into(),
                            message: row.to_string(),
                        },
                    );
                }
                match result {
                    Ok(events) => self.order_events(events, now),
                    Err(e) => self.record_error(&e, now),
                }
            }
        }
    }

    /// Fills and order ends, journaled as the engine's position stood before each.
    fn order_events(&mut self, events: Vec<EngineEvent>, now: DateTime<Utc>) {
        for event in events {
            let before = self.engine.quantity_before(&event);
            self.book.order_event(&event, before, now);
            self.tell_engine(event);
        }
    }

    fn tell_engine(&mut self, event: EngineEvent) {
        self.recorder.record(&event);
        let commands = self.engine.on_event(event);
        self.execute(commands);
    }

    fn execute(&mut self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Note(note) => self.book.note(note, self.clock.now()),
                Command::Place(order) => {
                    self.book.order_sent(&order);
                    self.orders_working = true;
                    self.desk.send(DeskRequest::Place(order));
                }
                Command::Modify(order) => self.desk.send(DeskRequest::Modify(order)),
                Command::Cancel(tag) => self.desk.send(DeskRequest::Cancel(tag)),
                Command::KillSwitch { exchanges } => {
                    tracing::warn!(
                        ?exchanges,
                        "daily loss limit reached and flat: asking the broker's kill switch"
                    );
                    self.desk.send(DeskRequest::KillSwitch(exchanges));
                }
            }
        }
    }

    fn show_book(&self) {
        let positions = self
            .engine
            .open_positions()
            .map(|(p, last)| {
                let trade = self.engine.open_trade(&p.instrument);
                PositionLine {
                    instrument: p.instrument.to_string(),
                    quantity: p.net_quantity,
                    average_price: p.average_price,
                    last_price: last,
                    stop: trade.map(|t| t.stop.normalize()),
                    target: trade.map(|t| t.target.normalize()),
                    unrealized_pnl: last.map(|last| p.unrealized_pnl(last)),
                }
            })
            .collect();
        let orders = self
            .engine
            .working_orders()
            .map(|(tag, instrument, purpose, remaining)| OrderLine {
                tag: tag.to_string(),
                instrument: instrument.to_string(),
                purpose,
                remaining,
            })
            .collect();
        self.status
            .set_book(self.clock.now(), positions, orders, self.engine.day_pnl());
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
}

/// Resolves true when `gate` turns true; never, without a gate or once its sender is gone.
async fn gate_opens(gate: &mut Option<watch::Receiver<bool>>) -> bool {
    if let Some(gate) = gate {
        if gate.wait_for(|open| *open).await.is_ok() {
            return true;
        }
    }
    std::future::pending().await
}
