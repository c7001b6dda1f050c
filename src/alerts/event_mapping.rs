//! Which journal entries become which alerts. Every event already passes through the journal, so the alerts
//! read nothing else: this mapper follows the entries in order and keeps the little memory it needs to alert
//! once per episode rather than once per entry (a feed that falls back is one alert however many reconnects
//! follow; a refused token one alert, not one per refused request; a failed check one alert until it passes).
//!
//! Whether the trader chose an event is the dispatcher's business: the mapper sees every entry either way, so
//! its episodes stay right when only some events are sent.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::alert_text::{self as text, SignalText, SummaryText, TradeText};
use crate::config::AlertEvent;
use crate::engine::ExitReason;
use crate::journal::{JournalEntry, JournalEvent};

/// A refused token is alerted again after this long if nothing changed meanwhile (the order book is polled
/// every second, and each refusal is journaled).
const TOKEN_QUIET: TimeDelta = TimeDelta::minutes(15);
/// Orders remembered for naming a rejection; a day has far fewer.
const ORDERS_KEPT: usize = 2_000;
/// How a daily-loss trip's journaled message starts (`runner::day_book`).
const DAILY_LOSS_PREFIX: &str = "daily loss limit reached";

/// One alert: its event, its whole message, and the journal entry that raised it.
#[derive(Debug, Clone)]
pub struct Alert {
    pub event: AlertEvent,
    pub text: String,
    pub source: Arc<JournalEvent>,
}

pub struct AlertMapper {
    /// "dalal: " or "dalal (paper): ".
    prefix: &'static str,
    /// Since when the feed has been without its stream, once a fallback or a refused token was alerted.
    outage_since: Option<DateTime<Utc>>,
    token_alerted_at: Option<DateTime<Utc>>,
    failed_checks: HashSet<String>,
    /// Tag → "BUY 62 NSE:RELIANCE", to name the order a rejection is about.
    orders: HashMap<String, String>,
}

impl AlertMapper {
    pub fn new(paper: bool) -> Self {
        AlertMapper {
            prefix: if paper { "dalal (paper): " } else { "dalal: " },
            outage_since: None,
            token_alerted_at: None,
            failed_checks: HashSet::new(),
            orders: HashMap::new(),
        }
    }

    /// The alert `event` raises, if any.
    pub fn map(&mut self, event: &Arc<JournalEvent>) -> Option<Alert> {
        let (kind, message) = self.message(&event.entry, event.at)?;
        Some(Alert {
            event: kind,
            text: text::bounded(format!("{}{message}", self.prefix)),
            source: Arc::clone(event),
        })
    }

    fn message(&mut self, entry: &JournalEntry, at: DateTime<Utc>) -> Option<(AlertEvent, String)> {
        match entry {
            JournalEntry::FeedState { state, reason } => {
                self.feed_state(state, reason.as_deref(), at)
            }
            JournalEntry::Error { class, message } if class == "auth" => self
                .token_refused(at)
                .then(|| (AlertEvent::TokenRefused, text::token_refused(message, at))),
            JournalEntry::Error { class, message }
                if class == "risk" && message.starts_with(DAILY_LOSS_PREFIX) =>
            {
                Some((AlertEvent::DailyLoss, text::daily_loss(message, at)))
            }
            JournalEntry::KillSwitch {
                switched_off,
                detail,
            } => Some((
                AlertEvent::DailyLoss,
                text::kill_switch(*switched_off, detail, at),
            )),
            JournalEntry::Check {
                name,
                passed: false,
                detail,
                remedy,
            } => self.failed_checks.insert(name.clone()).then(|| {
                let message = text::check_failed(name, detail, remedy.as_deref(), at);
                (AlertEvent::CheckFailed, message)
            }),
            JournalEntry::Check {
                name, passed: true, ..
            } => self
                .failed_checks
                .remove(name)
                .then(|| (AlertEvent::CheckFailed, text::check_passes_again(name, at))),
            JournalEntry::Signal {
                instrument,
                side,
                price,
                stop,
                target,
                reason,
            } => {
                let signal = SignalText {
                    instrument,
                    side,
                    price: *price,
                    stop: *stop,
                    target: *target,
                    reason,
                };
                Some((AlertEvent::Signal, text::signal(&signal, at)))
            }
            JournalEntry::Order {
                tag,
                instrument,
                side,
                quantity,
                ..
            } => {
                if self.orders.len() < ORDERS_KEPT || self.orders.contains_key(tag) {
                    self.orders
                        .insert(tag.clone(), format!("{side} {quantity} {instrument}"));
                }
                None
            }
            // Rejected at the desk or after the broker acknowledged the order: both end `rejected`.
            JournalEntry::OrderEnded {
                tag,
                rejected: true,
                reason,
            } => {
                let order = self.orders.get(tag).map(String::as_str);
                let message = text::order_rejected(tag, order, reason, at);
                Some((AlertEvent::OrderRejected, message))
            }
            JournalEntry::Fill {
                tag,
                instrument,
                side,
                quantity,
                price,
            } => Some((
                AlertEvent::Fill,
                text::fill(tag, side, *quantity, instrument, *price, at),
            )),
            JournalEntry::Trade {
                instrument,
                side,
                quantity,
                entry_price,
                exit_time,
                exit_price,
                pnl,
                charges,
                exit_reason,
                ..
            } if is_stop(exit_reason) => {
                let trade = TradeText {
                    instrument,
                    side,
                    quantity: *quantity,
                    entry_price: *entry_price,
                    exit_price: *exit_price,
                    pnl: *pnl,
                    charges: *charges,
                    exit_reason,
                };
                Some((AlertEvent::StopHit, text::stop_hit(&trade, *exit_time)))
            }
            JournalEntry::Control {
                action,
                accepted,
                detail,
            } => Some((
                AlertEvent::Control,
                text::control(action, *accepted, detail, at),
            )),
            JournalEntry::DaySummary {
                date,
                trading_enabled,
                round_trips,
                realized_pnl,
                charges,
                fallbacks,
                failures,
                broker_open,
                ..
            } => {
                // The next day starts afresh: its first stream is no return, its checks are new.
                self.outage_since = None;
                self.token_alerted_at = None;
                self.failed_checks.clear();
                self.orders.clear();
                let summary = SummaryText {
                    date: *date,
                    trading_enabled: *trading_enabled,
                    round_trips: *round_trips,
                    realized_pnl: *realized_pnl,
                    charges: *charges,
                    fallbacks,
                    failures,
                    broker_open: broker_open.as_deref(),
                };
                Some((AlertEvent::DaySummary, text::day_summary(&summary)))
            }
            _ => None,
        }
    }

    fn feed_state(
        &mut self,
        state: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Option<(AlertEvent, String)> {
        match state {
            "polling" | "reconnecting" => {
                // A feed that polls again after a refused token has found a new one.
                self.token_alerted_at = None;
                if self.outage_since.is_some() {
                    return None;
                }
                self.outage_since = Some(at);
                Some((
                    AlertEvent::FeedFallback,
                    text::feed_fell_back(state, reason, at),
                ))
            }
            "streaming" => {
                self.token_alerted_at = None;
                let since = self.outage_since.take()?;
                Some((
                    AlertEvent::FeedReturn,
                    text::feed_streaming_again(at, since),
                ))
            }
            "auth_failed" => {
                self.outage_since.get_or_insert(at);
                self.token_refused(at)
                    .then(|| (AlertEvent::TokenRefused, text::token_refused_by_feed(at)))
            }
            _ => None,
        }
    }

    /// Whether a refused token is news: none alerted yet, or the last one long ago.
    fn token_refused(&mut self, at: DateTime<Utc>) -> bool {
        let news = self
            .token_alerted_at
            .is_none_or(|last| at - last >= TOKEN_QUIET);
        if news {
            self.token_alerted_at = Some(at);
        }
        news
    }
}

/// A trade closed by its stop or its trailing stop, as the day book journals `ExitReason`.
fn is_stop(exit_reason: &str) -> bool {
    [ExitReason::Stop, ExitReason::TrailingStop]
        .iter()
        .any(|reason| reason.to_string() == exit_reason)
}
