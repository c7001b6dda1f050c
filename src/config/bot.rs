//! `config/dalal.toml`: which broker, paper or live, the instrument universe, feed timings, risk limits, session
//! cut-offs, the status endpoint, calendar overrides and which alerts are sent. Every value is range-checked
//! here, once, so the rest of the bot can trust it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::alerts::{AlertSettings, AlertsFile};
use super::broker_calendar_cache::{BrokerCalendarCache, cache_path as broker_calendar_path};
use super::calendar_data::{self, CalendarFile};
use super::charges::ChargeRates;
use super::checker::Checker;
use super::error::{ConfigError, ConfigErrorKind};
use super::instrument_master::{InstrumentMaster, master_path};
use super::order_policy::OrderPolicy;
use super::source::TomlFile;
use super::universe::{TickSources, UniverseEntry};
use super::values;
use crate::calendar::{CalendarData, SessionTimes};
use crate::domain::{Instrument, InstrumentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerName {
    /// The built-in market simulator: no account, no credentials.
    #[default]
    Sim,
    Upstox,
    HdfcSky,
}

impl BrokerName {
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerName::Sim => "sim",
            BrokerName::Upstox => "upstox",
            BrokerName::HdfcSky => "hdfcsky",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Real prices, simulated fills.
    #[default]
    Paper,
    /// Real orders at the broker.
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Paper => "paper",
            Mode::Live => "live",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSettings {
    /// LTP polling cadence while the WebSocket is unavailable.
    pub poll_interval_ms: u64,
    /// No frame at all for this long during continuous trading means the stream is silent.
    pub stall_timeout_ms: u64,
    pub reconnect_backoff_min_ms: u64,
    pub reconnect_backoff_max_ms: u64,
    /// How soon, then how rarely at most, to probe a WebSocket that refused the handshake (403, or 401 with a
    /// token the REST API accepts). Short, so the stream is back within seconds of being allowed; each probe of
    /// Upstox costs one authorize request of the REST budget that polling uses.
    pub probe_interval_min_s: u64,
    pub probe_interval_max_s: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            poll_interval_ms: 1_000,
            stall_timeout_ms: 3_000,
            reconnect_backoff_min_ms: 500,
            reconnect_backoff_max_ms: 30_000,
            probe_interval_min_s: 2,
            probe_interval_max_s: 6,
        }
    }
}

impl FeedSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn stall_timeout(&self) -> Duration {
        Duration::from_millis(self.stall_timeout_ms)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskLimits {
    pub max_open_positions: u32,
    #[serde(deserialize_with = "values::decimal")]
    pub max_capital_deployed: Decimal,
    /// Realized plus unrealized loss for the day, in rupees, at which the bot flattens and stops entering.
    #[serde(deserialize_with = "values::decimal")]
    pub max_daily_loss: Decimal,
    /// The exchange's retail-algo threshold is 10 orders a second; staying below it needs no registered algo ID.
    pub max_orders_per_second: u32,
    /// A price older than this blocks entries.
    pub max_price_age_ms: u64,
    /// Upstox only: once the daily loss limit has tripped and every position is flat, switch the universe's
    /// segments off with Upstox's kill switch, so nothing (not even a manual order) trades again that day.
    /// Upstox keeps a switched-off segment off for 12 hours.
    pub kill_switch_on_daily_loss: bool,
}

impl Default for RiskLimits {
    fn default() -> Self {
        RiskLimits {
            max_open_positions: 3,
            max_capital_deployed: Decimal::from(300_000),
            max_daily_loss: Decimal::from(5_000),
            max_orders_per_second: 8,
            max_price_age_ms: 3_000,
            kill_switch_on_daily_loss: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionCutoffs {
    /// No new entries after this IST time.
    #[serde(deserialize_with = "values::time_of_day")]
    pub last_entry_time: NaiveTime,
    /// Intraday positions are flattened at this IST time, ahead of the broker's own square-off.
    #[serde(deserialize_with = "values::time_of_day")]
    pub square_off_time: NaiveTime,
    /// On SIGTERM / Ctrl-C in a session: close open positions (`true`), or keep them for a restart to re-arm
    /// (`false`). Pending entries are cancelled either way.
    pub flatten_on_stop: bool,
}

impl Default for SessionCutoffs {
    fn default() -> Self {
        SessionCutoffs {
            last_entry_time: NaiveTime::from_hms_opt(14, 45, 0).expect("valid time"),
            square_off_time: NaiveTime::from_hms_opt(15, 5, 0).expect("valid time"),
            flatten_on_stop: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusSettings {
    /// Where the status endpoint listens; 127.0.0.1 keeps it private, 0.0.0.0 exposes it from a container.
    pub listen: SocketAddr,
}

impl Default for StatusSettings {
    fn default() -> Self {
        StatusSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8686)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BotFile {
    #[serde(default)]
    broker: BrokerName,
    #[serde(default)]
    mode: Mode,
    #[serde(default = "default_strategy")]
    strategy: PathBuf,
    #[serde(default = "default_journal")]
    journal: PathBuf,
    #[serde(default)]
    universe: Vec<UniverseEntry>,
    #[serde(default)]
    feed: FeedSettings,
    #[serde(default)]
    risk: RiskLimits,
    #[serde(default)]
    session: SessionCutoffs,
    #[serde(default)]
    orders: OrderPolicy,
    #[serde(default)]
    status: StatusSettings,
    #[serde(default)]
    charges: ChargeRates,
    #[serde(default)]
    calendar: CalendarFile,
    #[serde(default)]
    algo_name: Option<String>,
    #[serde(default)]
    alerts: AlertsFile,
}

fn default_strategy() -> PathBuf {
    PathBuf::from("../strategies/continuation.toml")
}

fn default_journal() -> PathBuf {
    PathBuf::from("../data/journal.sqlite")
}

/// dalal.toml, validated. Paths are resolved against the folder that holds dalal.toml.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub path: PathBuf,
    pub broker: BrokerName,
    pub mode: Mode,
    pub strategy_path: PathBuf,
    pub journal_path: PathBuf,
    pub universe: Vec<Instrument>,
    /// Where the universe's tick sizes came from (the instrument master, dalal.toml, or the price bands).
    pub ticks: TickSources,
    pub feed: FeedSettings,
    pub risk: RiskLimits,
    pub session: SessionCutoffs,
    pub orders: OrderPolicy,
    pub status: StatusSettings,
    pub charges: ChargeRates,
    pub calendar: CalendarData,
    /// The shipped holiday file the calendar was built from.
    pub holidays_path: PathBuf,
    /// Sent as Upstox's `X-Algo-Name` header on place, modify and cancel, when set: the algo name registered
    /// for the app (the 2026 rules; a wrong one is refused with UDAPI1156).
    pub algo_name: Option<String>,
    /// Which events are sent to the trader's phone, and how many a minute at most (where they go is in the
    /// environment: `AlertTargets`).
    pub alerts: AlertSettings,
}

impl BotConfig {
    /// The universe's F&O stocks, which have no fixed daily price band.
    pub fn derivative_stocks(&self) -> Vec<InstrumentId> {
        self.universe
            .iter()
            .filter(|i| i.has_derivatives)
            .map(|i| i.id.clone())
            .collect()
    }
}

/// Where dalal.toml at `path` keeps its instrument master, read without the config's other checks: `dalal
/// instruments` stores the master before the universe can pass them.
pub fn instrument_master_path(path: &std::path::Path) -> Result<PathBuf, ConfigError> {
    #[derive(Deserialize)]
    struct JournalOnly {
        #[serde(default = "default_journal")]
        journal: PathBuf,
    }
    let file = TomlFile::read(path)?;
    let only: JournalOnly = file.deserialize()?;
    Ok(master_path(&file.beside(&only.journal)))
}

pub(crate) fn load(file: &TomlFile, errors: &mut Vec<ConfigError>) -> Option<BotConfig> {
    let raw: BotFile = match file.deserialize() {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let journal_path = file.beside(&raw.journal);
    let master = InstrumentMaster::read(&master_path(&journal_path));
    let mut check = Checker { file, errors };
    let (universe, ticks) = check.universe(&raw.universe, raw.broker, master.as_ref());
    check.feed(&raw.feed);
    check.risk(&raw.risk);
    if raw.risk.kill_switch_on_daily_loss && raw.broker != BrokerName::Upstox {
        check.fail(
            ConfigErrorKind::Inconsistent,
            "risk.kill_switch_on_daily_loss",
            format!(
                "broker `{}` has no kill switch dalal can call",
                raw.broker.as_str()
            ),
            "remove the line, or use it with broker = \"upstox\"".into(),
        );
    }
    check.session(&raw.session, &universe);
    check.orders(&raw.orders);
    check.charges(&raw.charges);
    check.algo_name(raw.algo_name.as_deref());
    let alerts = check.alerts(raw.alerts);
    let holidays_path = file.beside(&raw.calendar.holidays_file);
    let mut calendar =
        calendar_data::build(file, &raw.calendar, holidays_path.clone(), check.errors);
    calendar.broker =
        BrokerCalendarCache::read(&broker_calendar_path(&journal_path)).map(|c| c.list);
    Some(BotConfig {
        path: file.path.clone(),
        broker: raw.broker,
        mode: raw.mode,
        strategy_path: file.beside(&raw.strategy),
        journal_path,
        universe,
        ticks,
        feed: raw.feed,
        risk: raw.risk,
        session: raw.session,
        orders: raw.orders,
        status: raw.status,
        charges: raw.charges,
        calendar,
        holidays_path,
        algo_name: raw.algo_name,
        alerts,
    })
}

impl Checker<'_> {
    /// A header value: printable ASCII, at most 50 characters.
    fn algo_name(&mut self, name: Option<&str>) {
        let Some(name) = name else { return };
        let printable = name.bytes().all(|b| (0x20..0x7f).contains(&b));
        if name.trim().is_empty() || name.len() > 50 || !printable {
            self.fail(
                ConfigErrorKind::OutOfRange,
                "algo_name",
                format!("{name:?} cannot be sent as a header"),
                "use the algo name registered for your Upstox app (printable ASCII, at most 50 characters), or \
                 remove the line"
                    .into(),
            );
        }
    }

    fn feed(&mut self, f: &FeedSettings) {
        self.range(
            "feed.poll_interval_ms",
            f.poll_interval_ms,
            1_000,
            2_000,
            " ms",
        );
        self.range(
            "feed.stall_timeout_ms",
            f.stall_timeout_ms,
            1_000,
            60_000,
            " ms",
        );
        self.range(
            "feed.reconnect_backoff_min_ms",
            f.reconnect_backoff_min_ms,
            100,
            10_000,
            " ms",
        );
        self.range(
            "feed.reconnect_backoff_max_ms",
            f.reconnect_backoff_max_ms,
            f.reconnect_backoff_min_ms,
            300_000,
            " ms",
        );
        self.range(
            "feed.probe_interval_min_s",
            f.probe_interval_min_s,
            1,
            600,
            " s",
        );
        self.range(
            "feed.probe_interval_max_s",
            f.probe_interval_max_s,
            f.probe_interval_min_s,
            3_600,
            " s",
        );
    }

    fn risk(&mut self, r: &RiskLimits) {
        self.range("risk.max_open_positions", r.max_open_positions, 1, 100, "");
        self.range(
            "risk.max_orders_per_second",
            r.max_orders_per_second,
            1,
            10,
            "",
        );
        self.range(
            "risk.max_price_age_ms",
            r.max_price_age_ms,
            100,
            60_000,
            " ms",
        );
        for (key, value) in [
            ("risk.max_capital_deployed", r.max_capital_deployed),
            ("risk.max_daily_loss", r.max_daily_loss),
        ] {
            if value <= Decimal::ZERO {
                self.fail(
                    ConfigErrorKind::OutOfRange,
                    key,
                    format!("₹{value} is not a usable limit"),
                    "give a positive amount in rupees".into(),
                );
            }
        }
    }

    fn charges(&mut self, c: &ChargeRates) {
        let percentages = [
            ("charges.brokerage_pct", c.brokerage_pct),
            ("charges.stt_sell_pct", c.stt_sell_pct),
            ("charges.exchange_pct", c.exchange_pct),
            ("charges.sebi_pct", c.sebi_pct),
            ("charges.stamp_buy_pct", c.stamp_buy_pct),
            ("charges.gst_pct", c.gst_pct),
        ];
        for (key, value) in percentages {
            if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                self.fail(
                    ConfigErrorKind::OutOfRange,
                    key,
                    format!("{value} % is not a rate"),
                    "give a percentage from 0 to 100, as on your broker's charges page (0.025 means 0.025 %)"
                        .into(),
                );
            }
        }
        if c.brokerage_per_order < Decimal::ZERO {
            self.fail(
                ConfigErrorKind::OutOfRange,
                "charges.brokerage_per_order",
                format!("₹{} is negative", c.brokerage_per_order),
                "give the brokerage cap per executed order in rupees, e.g. 20".into(),
            );
        }
    }

    fn session(&mut self, s: &SessionCutoffs, universe: &[Instrument]) {
        let regular = SessionTimes::regular();
        let fmt = |t: NaiveTime| t.format("%H:%M").to_string();
        if !(regular.open < s.last_entry_time && s.last_entry_time < regular.close) {
            self.fail(
                ConfigErrorKind::OutOfRange,
                "session.last_entry_time",
                format!(
                    "{} IST is outside continuous trading (09:15–15:30)",
                    fmt(s.last_entry_time)
                ),
                "pick a time between 09:15 and 15:30, such as \"14:45\"".into(),
            );
        }
        if !(s.last_entry_time < s.square_off_time && s.square_off_time <= regular.close) {
            self.fail(
                ConfigErrorKind::Inconsistent,
                "session.square_off_time",
                format!(
                    "{} IST must come after last_entry_time ({}) and no later than 15:30",
                    fmt(s.square_off_time),
                    fmt(s.last_entry_time)
                ),
                "flatten ahead of the broker's own square-off (Upstox 15:15), e.g. \"15:05\""
                    .into(),
            );
        }
        let auction_start = NaiveTime::from_hms_opt(15, 15, 0).expect("valid time");
        if s.square_off_time > auction_start {
            if let Some(fno) = universe.iter().find(|i| i.has_derivatives) {
                self.fail(
                    ConfigErrorKind::Inconsistent,
                    "session.square_off_time",
                    format!(
                        "{} has derivatives, and from 3 Aug 2026 its continuous trading ends at 15:15 for the \
                         closing auction, before square-off at {}",
                        fno.id,
                        fmt(s.square_off_time)
                    ),
                    "set square_off_time to \"15:10\" or earlier".into(),
                );
            }
        }
    }
}
