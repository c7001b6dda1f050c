//! `strategies/continuation.toml`: the parameters of the momentum continuation strategy, as the trader edits them.
//!
//! This is the loader and the first version of the schema: qualification off the previous close, the entry
//! trigger, stop, target and trailing stop, time rules, and sizing. Ranges are checked here; the strategy itself
//! lives in the engine.

use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::bot::BotConfig;
use super::checker::Checker;
use super::error::{ConfigError, ConfigErrorKind};
use super::source::TomlFile;
use super::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LongOnly,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryTrigger {
    /// Price trades beyond the opening range's high (low for shorts).
    OrBreak,
    /// Price holds beyond `prev_close × (1 ± trigger_pct)` for `confirm_seconds`.
    HoldBeyond,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    /// The opposite side of the opening range.
    OrOpposite,
    /// `stop_pct` away from the entry price.
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizingRule {
    /// `capital_per_trade` rupees of stock.
    Capital,
    /// `risk_per_trade` rupees lost if the stop is hit.
    Risk,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qualify {
    #[serde(deserialize_with = "values::decimal")]
    pub gap_min_pct: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub gap_max_pct: Decimal,
    pub or_minutes: u32,
    /// The opening range must stay on the gap's side of the previous close.
    pub or_must_hold: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub trigger: EntryTrigger,
    #[serde(deserialize_with = "values::decimal")]
    pub trigger_pct: Decimal,
    pub confirm_seconds: u32,
    pub max_trades_per_instrument: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    pub stop: StopRule,
    #[serde(deserialize_with = "values::decimal")]
    pub stop_pct: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub target_r: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub trail_after_r: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub trail_pct: Decimal,
    /// Rest a stop order at the broker once an entry fills, so the position stays protected if dalal dies; it
    /// follows the trail and becomes the exit order.
    #[serde(default)]
    pub protective_stop: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRules {
    #[serde(deserialize_with = "values::time_of_day")]
    pub last_entry_time: NaiveTime,
    #[serde(deserialize_with = "values::time_of_day")]
    pub flat_time: NaiveTime,
    /// No entries within this percentage of the circuit limit, when the limit is known.
    #[serde(deserialize_with = "values::decimal")]
    pub band_buffer_pct: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sizing {
    pub rule: SizingRule,
    #[serde(deserialize_with = "values::decimal")]
    pub capital_per_trade: Decimal,
    #[serde(deserialize_with = "values::decimal")]
    pub risk_per_trade: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    /// Symbols from dalal.toml's universe to trade; empty trades them all.
    #[serde(default)]
    pub instruments: Vec<String>,
    pub direction: Direction,
    pub qualify: Qualify,
    pub entry: Entry,
    pub exit: Exit,
    pub time: TimeRules,
    pub sizing: Sizing,
}

pub(crate) fn load(
    file: &TomlFile,
    bot: Option<&BotConfig>,
    errors: &mut Vec<ConfigError>,
) -> Option<StrategyConfig> {
    let strategy: StrategyConfig = match file.deserialize() {
        Ok(s) => s,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut check = Checker { file, errors };
    let (q, e, x, t) = (
        &strategy.qualify,
        &strategy.entry,
        &strategy.exit,
        &strategy.time,
    );
    for (key, value, max) in [
        ("qualify.gap_min_pct", q.gap_min_pct, 20),
        ("qualify.gap_max_pct", q.gap_max_pct, 20),
        ("entry.trigger_pct", e.trigger_pct, 10),
        ("exit.stop_pct", x.stop_pct, 20),
        ("exit.target_r", x.target_r, 20),
        ("exit.trail_after_r", x.trail_after_r, 20),
        ("exit.trail_pct", x.trail_pct, 20),
        ("time.band_buffer_pct", t.band_buffer_pct, 10),
    ] {
        check.range(key, value, Decimal::ZERO, Decimal::from(max), "");
    }
    check.range("qualify.or_minutes", q.or_minutes, 1, 120, " min");
    check.range("entry.confirm_seconds", e.confirm_seconds, 0, 600, " s");
    check.range(
        "entry.max_trades_per_instrument",
        e.max_trades_per_instrument,
        1,
        10,
        "",
    );
    if q.gap_min_pct >= q.gap_max_pct {
        check.fail(
            ConfigErrorKind::Inconsistent,
            "qualify.gap_max_pct",
            format!(
                "gap_max_pct ({}) must be above gap_min_pct ({})",
                q.gap_max_pct, q.gap_min_pct
            ),
            "widen the window, e.g. gap_min_pct = 0.5 and gap_max_pct = 3".into(),
        );
    }
    if x.stop == StopRule::Percent && x.stop_pct.is_zero() {
        check.fail(
            ConfigErrorKind::Inconsistent,
            "exit.stop_pct",
            "stop = \"percent\" with stop_pct = 0 puts the stop at the entry price".into(),
            "give a stop distance such as 1.0 (percent)".into(),
        );
    }
    let (amount_key, amount) = match strategy.sizing.rule {
        SizingRule::Capital => (
            "sizing.capital_per_trade",
            strategy.sizing.capital_per_trade,
        ),
        SizingRule::Risk => ("sizing.risk_per_trade", strategy.sizing.risk_per_trade),
    };
    if amount <= Decimal::ZERO {
        check.fail(
            ConfigErrorKind::OutOfRange,
            amount_key,
            format!("₹{amount} cannot size a trade"),
            "give a positive amount in rupees".into(),
        );
    }
    if t.last_entry_time >= t.flat_time {
        check.fail(
            ConfigErrorKind::Inconsistent,
            "time.flat_time",
            "flat_time must come after last_entry_time".into(),
            "e.g. last_entry_time = \"14:30\" and flat_time = \"15:05\"".into(),
        );
    }
    if let Some(bot) = bot {
        within_bot_limits(&mut check, &strategy, bot);
    }
    Some(strategy)
}

/// The strategy may be stricter than dalal.toml, never looser: its times and instruments must fit the bot's.
fn within_bot_limits(check: &mut Checker<'_>, strategy: &StrategyConfig, bot: &BotConfig) {
    let hm = |t: NaiveTime| t.format("%H:%M").to_string();
    let t = &strategy.time;
    for (key, own, bot_key, limit) in [
        (
            "time.last_entry_time",
            t.last_entry_time,
            "session.last_entry_time",
            bot.session.last_entry_time,
        ),
        (
            "time.flat_time",
            t.flat_time,
            "session.square_off_time",
            bot.session.square_off_time,
        ),
    ] {
        if own > limit {
            check.fail(
                ConfigErrorKind::Inconsistent,
                key,
                format!(
                    "{} IST is later than the bot-wide {bot_key} ({} IST in {}), so it would never be reached",
                    hm(own),
                    hm(limit),
                    bot.path.display()
                ),
                format!("set it to {} or earlier", hm(limit)),
            );
        }
    }
    for (i, symbol) in strategy.instruments.iter().enumerate() {
        if !bot.universe.iter().any(|u| &u.id.symbol == symbol) {
            check.fail(
                ConfigErrorKind::Inconsistent,
                &format!("instruments[{i}]"),
                format!(
                    "`{symbol}` is not in the universe of {}",
                    bot.path.display()
                ),
                "add it to [[universe]] in dalal.toml, or remove it here".into(),
            );
        }
    }
}
