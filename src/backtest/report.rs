//! What `dalal backtest` prints: the assumptions on the first screen (period, instruments, candle path,
//! fills, charges, capital), then the metrics (one column, or in-sample and out-of-sample side by side), then
//! a table per instrument and per exit reason. A sweep prints one row per point, sorted by the chosen metric.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::candle_path::CandlePath;
use super::metrics::{GroupRow, Metrics};
use super::sweep::SweepPoint;

/// What a backtest assumed, said before any figure.
pub struct Assumptions {
    pub period: String,
    pub strategy: String,
    pub instruments: String,
    pub path: CandlePath,
    pub slippage_bps: Decimal,
    pub capital: Decimal,
    pub days: String,
}

/// The metric a sweep's rows are sorted by, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SortBy {
    #[default]
    Net,
    Sharpe,
    Sortino,
    ProfitFactor,
    WinRate,
    Expectancy,
    Drawdown,
}

impl SortBy {
    /// Larger is better.
    fn score(self, m: &Metrics) -> f64 {
        let f = |d: Option<Decimal>| d.and_then(|d| d.to_f64()).unwrap_or(f64::NEG_INFINITY);
        match self {
            SortBy::Net => f(Some(m.net)),
            SortBy::Sharpe => m.sharpe.unwrap_or(f64::NEG_INFINITY),
            SortBy::Sortino => m.sortino.unwrap_or(f64::NEG_INFINITY),
            SortBy::ProfitFactor => f(m.profit_factor),
            SortBy::WinRate => f(m.win_rate_pct),
            SortBy::Expectancy => f(m.expectancy),
            SortBy::Drawdown => -f(Some(m.max_drawdown)),
        }
    }
}

fn rupees(value: Decimal) -> String {
    format!("₹{}", value.round_dp(2))
}

fn or_dash<T>(value: Option<T>, show: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "–".to_string(), show)
}

fn ratio(value: Option<f64>) -> String {
    or_dash(value, |v| format!("{v:.2}"))
}

/// The metric rows of `m`, named.
fn rows(m: &Metrics) -> Vec<(&'static str, String)> {
    vec![
        ("trading days", m.days.to_string()),
        ("round trips", m.trades.to_string()),
        ("net P&L (after charges)", rupees(m.net)),
        ("gross P&L", rupees(m.gross)),
        ("charges", rupees(m.charges)),
        ("total return", format!("{} %", m.total_return_pct)),
        (
            "annualised return",
            format!("{} %", m.annualised_return_pct),
        ),
        (
            "max drawdown",
            format!("{} ({} %)", rupees(m.max_drawdown), m.max_drawdown_pct),
        ),
        (
            "max drawdown duration",
            format!("{} days", m.max_drawdown_days),
        ),
        ("Sharpe (daily, ×√252)", ratio(m.sharpe)),
        ("Sortino (daily, ×√252)", ratio(m.sortino)),
        ("profit factor", or_dash(m.profit_factor, |v| v.to_string())),
        ("expectancy per trade", or_dash(m.expectancy, rupees)),
        ("win rate", or_dash(m.win_rate_pct, |v| format!("{v} %"))),
        ("average win", or_dash(m.average_win, rupees)),
        ("average loss", or_dash(m.average_loss, rupees)),
        ("exposure", format!("{} % of session time", m.exposure_pct)),
    ]
}

/// The whole report: assumptions, the metrics of each column (`(heading, metrics)`), and the first column's
/// tables per instrument and per exit reason. With no column, the assumptions alone.
pub fn report(assumptions: &Assumptions, columns: &[(&str, &Metrics)]) -> String {
    let mut out = String::new();
    let a = assumptions;
    let _ = writeln!(out, "Backtest {}", a.period);
    let _ = writeln!(out, "  strategy      {}", a.strategy);
    let _ = writeln!(out, "  instruments   {}", a.instruments);
    let _ = writeln!(out, "  days          {}", a.days);
    let _ = writeln!(
        out,
        "  prices        {} ({})",
        a.path.as_str(),
        a.path.describe()
    );
    let _ = writeln!(
        out,
        "  fills         paper, at the next price after each decision, {} bps against the trader (limits no worse than their limit)",
        a.slippage_bps
    );
    let _ = writeln!(
        out,
        "  charges       [charges] in dalal.toml, per round trip"
    );
    let _ = writeln!(
        out,
        "  capital       {} (risk.max_capital_deployed): returns are on it, nothing compounds",
        rupees(a.capital)
    );
    let Some((_, first)) = columns.first() else {
        return out;
    };
    let _ = writeln!(out);
    let metric_rows: Vec<Vec<(&str, String)>> = columns.iter().map(|(_, m)| rows(m)).collect();
    if columns.iter().any(|(heading, _)| !heading.is_empty()) {
        let _ = write!(out, "{:<26}", "");
        for (heading, _) in columns {
            let _ = write!(out, "{heading:>28}");
        }
        let _ = writeln!(out);
    }
    for (i, (name, _)) in metric_rows[0].iter().enumerate() {
        let _ = write!(out, "{name:<26}");
        for column in &metric_rows {
            let _ = write!(out, "{:>28}", column[i].1);
        }
        let _ = writeln!(out);
    }
    group_table(&mut out, "instrument", &first.by_instrument);
    group_table(&mut out, "exit reason", &first.by_exit_reason);
    out
}

fn group_table(out: &mut String, heading: &str, rows: &[GroupRow]) {
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{heading:<22} {:>7} {:>9} {:>14}",
        "trades", "win rate", "net P&L"
    );
    for row in rows {
        let win_rate =
            Decimal::from(row.wins) * Decimal::ONE_HUNDRED / Decimal::from(row.trades.max(1));
        let _ = writeln!(
            out,
            "{:<22} {:>7} {:>7} % {:>14}",
            row.name,
            row.trades,
            win_rate.round_dp(0),
            rupees(row.net)
        );
    }
}

/// A sweep point's metrics: the whole period's, and the in-sample and out-of-sample ones when split.
pub type SweepRow = (SweepPoint, Metrics, Option<(Metrics, Metrics)>);

/// One row per sweep point, the best first by `sort` (by the in-sample column when split).
pub fn sweep_table(points: &mut [SweepRow], sort: SortBy) -> String {
    points.sort_by(|a, b| {
        let key = |p: &SweepRow| sort.score(p.2.as_ref().map_or(&p.1, |(inside, _)| inside));
        key(b).total_cmp(&key(a))
    });
    let split = points.iter().any(|p| p.2.is_some());
    let mut out = String::new();
    let head = |m: &str| {
        format!(
            "{m:>12} {:>7} {:>7} {:>6} {:>12}",
            "Sharpe", "PF", "trades", "max DD"
        )
    };
    let _ = write!(out, "{:<44}", "point");
    if split {
        let _ = write!(out, "{}  |{}", head("in: net"), head("out: net"));
    } else {
        let _ = write!(out, "{}", head("net"));
    }
    let _ = writeln!(out);
    let cells = |m: &Metrics| {
        format!(
            "{:>12} {:>7} {:>7} {:>6} {:>12}",
            rupees(m.net),
            ratio(m.sharpe),
            or_dash(m.profit_factor, |v| v.to_string()),
            m.trades,
            rupees(m.max_drawdown)
        )
    };
    for (point, whole, halves) in points.iter() {
        let _ = write!(out, "{:<44}", point.to_string());
        match halves {
            Some((inside, outside)) => {
                let _ = write!(out, "{}  |{}", cells(inside), cells(outside));
            }
            None => {
                let _ = write!(out, "{}", cells(whole));
            }
        }
        let _ = writeln!(out);
    }
    out
}
