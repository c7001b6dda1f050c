//! Alerts on the trader's phone, as `[alerts]` in dalal.toml says: which events are sent, how many a minute at
//! most, and where the Telegram Bot API is. Where they go is not in any file: see `alert_channels`.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;
use url::Url;

use super::checker::Checker;
use super::error::ConfigErrorKind;

/// What an alert is about, by its name in `alerts.events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    FeedFallback,
    FeedReturn,
    TokenRefused,
    CheckFailed,
    Signal,
    OrderRejected,
    Fill,
    StopHit,
    DailyLoss,
    Control,
    DaySummary,
}

impl AlertEvent {
    pub const ALL: [AlertEvent; 11] = [
        AlertEvent::FeedFallback,
        AlertEvent::FeedReturn,
        AlertEvent::TokenRefused,
        AlertEvent::CheckFailed,
        AlertEvent::Signal,
        AlertEvent::OrderRejected,
        AlertEvent::Fill,
        AlertEvent::StopHit,
        AlertEvent::DailyLoss,
        AlertEvent::Control,
        AlertEvent::DaySummary,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AlertEvent::FeedFallback => "feed_fallback",
            AlertEvent::FeedReturn => "feed_return",
            AlertEvent::TokenRefused => "token_refused",
            AlertEvent::CheckFailed => "check_failed",
            AlertEvent::Signal => "signal",
            AlertEvent::OrderRejected => "order_rejected",
            AlertEvent::Fill => "fill",
            AlertEvent::StopHit => "stop_hit",
            AlertEvent::DailyLoss => "daily_loss",
            AlertEvent::Control => "control",
            AlertEvent::DaySummary => "day_summary",
        }
    }

    /// Sent unless `alerts.events` says otherwise: what needs the trader or closes the day. Signals and fills
    /// are the routine of a trading day (several a trade); `stop_hit` and `day_summary` tell how it went.
    pub fn on_by_default(self) -> bool {
        !matches!(self, AlertEvent::Signal | AlertEvent::Fill)
    }
}

impl fmt::Display for AlertEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `[alerts]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct AlertsFile {
    events: Option<Vec<AlertEvent>>,
    per_minute: u32,
    telegram_api: String,
}

impl Default for AlertsFile {
    fn default() -> Self {
        AlertsFile {
            events: None,
            per_minute: 20,
            telegram_api: "https://api.telegram.org".into(),
        }
    }
}

/// `[alerts]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub events: BTreeSet<AlertEvent>,
    /// Alerts beyond this many in a minute are dropped (and journaled as `alert_failed`).
    pub per_minute: u32,
    /// Where the Telegram Bot API is: https, or http on the loopback (a stand-in in tests).
    pub telegram_api: Url,
}

impl Default for AlertSettings {
    fn default() -> Self {
        let file = AlertsFile::default();
        AlertSettings {
            events: default_events(),
            per_minute: file.per_minute,
            telegram_api: Url::parse(&file.telegram_api).expect("a valid URL"),
        }
    }
}

fn default_events() -> BTreeSet<AlertEvent> {
    AlertEvent::ALL
        .into_iter()
        .filter(|e| e.on_by_default())
        .collect()
}

impl Checker<'_> {
    pub(super) fn alerts(&mut self, raw: AlertsFile) -> AlertSettings {
        self.range("alerts.per_minute", raw.per_minute, 1, 120, "");
        let telegram_api = match Url::parse(raw.telegram_api.trim()) {
            Ok(url) if !matches!(url.scheme(), "https" | "http") => {
                self.fail(
                    ConfigErrorKind::OutOfRange,
                    "alerts.telegram_api",
                    format!("`{}` is not an http(s) address", raw.telegram_api),
                    "leave it out for https://api.telegram.org, or give your Bot API server's https address"
                        .into(),
                );
                None
            }
            Ok(url) if url.scheme() == "http" && !on_loopback(&url) => {
                self.fail(
                    ConfigErrorKind::OutOfRange,
                    "alerts.telegram_api",
                    format!(
                        "`{}` would send the bot token across the network unencrypted",
                        raw.telegram_api
                    ),
                    "use https (plain http only on 127.0.0.1 or localhost)".into(),
                );
                None
            }
            Ok(url) => Some(url),
            Err(e) => {
                self.fail(
                    ConfigErrorKind::WrongType,
                    "alerts.telegram_api",
                    format!("`{}` is not an address: {e}", raw.telegram_api),
                    "write it as \"https://api.telegram.org\"".into(),
                );
                None
            }
        };
        let defaults = AlertSettings::default();
        AlertSettings {
            events: raw
                .events
                .map_or(defaults.events, |e| e.into_iter().collect()),
            per_minute: raw.per_minute,
            telegram_api: telegram_api.unwrap_or(defaults.telegram_api),
        }
    }
}

fn on_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
