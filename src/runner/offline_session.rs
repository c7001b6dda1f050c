//! A session without a network: the engine given a day's events one by one, its orders filled on paper at once
//! (`OfflineFills`) or by the fills the day recorded, and everything written down by the same `DayBook` as live,
//! into a journal of the same schema. `dalal replay` runs a recorded day through it; nothing here waits.

use chrono::{DateTime, Utc};

use super::day_book::{DayBook, SessionSummary};
use crate::config::ChargeRates;
use crate::engine::{Command, Engine, EngineEvent};
use crate::execution::OfflineFills;
use crate::journal::{EngineInput, Journal};

/// Where the session's fills come from.
pub enum FillSource {
    /// The fills and order ends the day recorded: the same engine reproduces the same day.
    Recorded,
    /// Paper fills of the session's own orders; recorded ones are ignored (they belong to other orders).
    Paper(OfflineFills),
}

pub struct OfflineSession {
    engine: Engine,
    book: DayBook,
    fills: FillSource,
    journal: Journal,
    /// The latest time an event carried.
    now: Option<DateTime<Utc>>,
    /// Fills a restart took back that day, which the session started without.
    restored_fills: usize,
    /// Whether prices are summarised into the journal's minute bars (a backtest writes its stored candles
    /// instead, and only where it traded).
    price_bars: bool,
}

impl OfflineSession {
    pub fn new(engine: Engine, journal: Journal, charges: ChargeRates, fills: FillSource) -> Self {
        OfflineSession {
            engine,
            book: DayBook::new(journal.clone(), charges),
            fills,
            journal,
            now: None,
            restored_fills: 0,
            price_bars: true,
        }
    }

    /// Prices are not summarised into minute bars: the caller journals the bars it wants itself.
    pub fn without_price_bars(mut self) -> Self {
        self.price_bars = false;
        self
    }

    /// One input of the day: an event, or the setup a start mid-session gave the engine.
    pub fn take(&mut self, input: EngineInput) {
        match input {
            EngineInput::Event(event) => self.feed(event),
            EngineInput::Minutes {
                instrument,
                candles,
                previous_close,
                now,
            } => {
                let commands =
                    self.engine
                        .replay_minutes(&instrument, &candles, previous_close, now);
                self.carry_out(commands, now);
            }
            EngineInput::Restored { fills } => self.restored_fills += fills,
            // The caller gives a new session its fresh engine (`next_session`).
            EngineInput::SessionStart { .. } => {}
        }
    }

    /// A later session of the same day (after a restart) starts with `engine`, fresh as the restart's was.
    pub fn next_session(&mut self, engine: Engine) {
        self.engine = engine;
    }

    /// Fills a restart took back that day: the session started without them, so what followed may differ.
    pub fn restored_fills(&self) -> usize {
        self.restored_fills
    }

    /// One event of the day, as the live session would have handed it to the engine.
    fn feed(&mut self, event: EngineEvent) {
        if let Some(at) = event_time(&event) {
            self.now = Some(self.now.map_or(at, |now| now.max(at)));
        }
        let now = self.now.unwrap_or_default();
        let order_news = matches!(
            event,
            EngineEvent::Fill(_)
                | EngineEvent::OrderEnded { .. }
                | EngineEvent::OrderLost { .. }
                | EngineEvent::ModifyFailed { .. }
                | EngineEvent::CancelFailed { .. }
        );
        match (&mut self.fills, order_news) {
            (FillSource::Paper(_), true) => {}
            (FillSource::Recorded, true) => self.order_news(vec![event], now),
            (fills, false) => {
                let paper_news = match (fills, &event) {
                    (FillSource::Paper(paper), EngineEvent::Tick(tick)) => paper.on_price(tick),
                    _ => Vec::new(),
                };
                if let (EngineEvent::Tick(tick), true) = (&event, self.price_bars) {
                    self.book.price(tick, now);
                }
                self.tell_engine(event, now);
                self.order_news(paper_news, now);
            }
        }
    }

    /// Ends the day: the last minute bars written, the journal flushed; the day's figures.
    pub async fn finish(self) -> SessionSummary {
        let journal = self.journal.clone();
        let summary = self.end();
        if let Err(e) = journal.flush().await {
            tracing::error!(error = %e, "journal flush failed at the end of the offline session");
        }
        summary
    }

    /// Ends the day without waiting for the journal, which the caller goes on writing (a backtest's next day);
    /// the day's figures.
    pub fn end(mut self) -> SessionSummary {
        self.book.flush_bars();
        self.book.summary().clone()
    }

    /// The session's engine, to ask what it holds.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn order_news(&mut self, events: Vec<EngineEvent>, now: DateTime<Utc>) {
        for event in events {
            let before = self.engine.quantity_before(&event);
            self.book.order_event(&event, before, now);
            self.tell_engine(event, now);
        }
    }

    fn tell_engine(&mut self, event: EngineEvent, now: DateTime<Utc>) {
        let commands = self.engine.on_event(event);
        self.carry_out(commands, now);
    }

    fn carry_out(&mut self, commands: Vec<Command>, now: DateTime<Utc>) {
        for command in commands {
            let news = match command {
                Command::Note(note) => {
                    self.book.note(note, now);
                    Vec::new()
                }
                Command::Place(order) => {
                    self.book.order_sent(&order);
                    let (outcome, news) = match &mut self.fills {
                        FillSource::Paper(paper) => paper.place(&order, now),
                        FillSource::Recorded => (recorded_ids(&order), Vec::new()),
                    };
                    self.book.order_placed(&order, &outcome, now);
                    news
                }
                Command::Modify(order) => {
                    self.book.order_modified(&order, now);
                    match &mut self.fills {
                        FillSource::Paper(paper) => paper.modify(&order, now),
                        FillSource::Recorded => Vec::new(),
                    }
                }
                Command::Cancel(tag) => match &mut self.fills {
                    FillSource::Paper(paper) => paper.cancel(&tag, now),
                    FillSource::Recorded => Vec::new(),
                },
                Command::KillSwitch { .. } => Vec::new(),
            };
            self.order_news(news, now);
        }
    }
}

/// In a replay of recorded fills, an order is taken as accepted: what the broker did with it is in the fills
/// and order ends that follow.
fn recorded_ids(order: &crate::engine::ApprovedOrder) -> crate::execution::SubmitOutcome {
    crate::execution::SubmitOutcome::Accepted(vec![format!("REPLAY-{}", order.request().tag)])
}

fn event_time(event: &EngineEvent) -> Option<DateTime<Utc>> {
    match event {
        EngineEvent::Tick(tick) => Some(tick.received_at),
        EngineEvent::Timer(at)
        | EngineEvent::Shutdown { at, .. }
        | EngineEvent::Flatten { at, .. } => Some(*at),
        EngineEvent::Fill(fill) => Some(fill.time),
        _ => None,
    }
}
