//! The figures as terminal text: a summary block and a table of round trips, in IST, with aligned columns.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::figures::Figures;
use crate::calendar::to_ist;

fn period(figures: &Figures) -> String {
    if figures.from == figures.to {
        figures.from.format("%A %-d %b %Y").to_string()
    } else {
        format!(
            "{} to {}",
            figures.from.format("%-d %b %Y"),
            figures.to.format("%-d %b %Y")
        )
    }
}

fn hours(seconds: i64) -> String {
    format!("{} h {:02} min", seconds / 3600, (seconds % 3600) / 60)
}

fn rupees(value: Decimal) -> String {
    format!("₹{}", value.round_dp(2))
}

pub fn summary(figures: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Journal summary: {}", period(figures));
    let _ = writeln!(
        out,
        "  trades         {} ({} won, {} lost), win rate {}",
        figures.trades.len(),
        figures.wins,
        figures.losses,
        figures
            .win_rate()
            .map_or("-".to_string(), |r| format!("{r} %"))
    );
    let _ = writeln!(
        out,
        "  P&L            gross {}, charges {}, net {}",
        rupees(figures.gross),
        rupees(figures.charges),
        rupees(figures.net)
    );
    let _ = writeln!(out, "  max drawdown   {}", rupees(figures.max_drawdown));
    let _ = writeln!(
        out,
        "  slippage       {} per trade against the signal price",
        figures.average_slippage().map_or("-".to_string(), rupees)
    );
    let _ = writeln!(
        out,
        "  orders         {}, {} rejected or refused",
        figures.orders, figures.rejections
    );
    let _ = writeln!(
        out,
        "  feed           streaming {}, polling {}, reconnecting {}",
        hours(figures.seconds_in("streaming")),
        hours(figures.seconds_in("polling")),
        hours(figures.seconds_in("reconnecting"))
    );
    let fallbacks: Vec<_> = figures.fallbacks().collect();
    let _ = writeln!(out, "  fallbacks      {}", fallbacks.len());
    for span in fallbacks {
        let _ = writeln!(
            out,
            "    {}  {:>5} s  {}",
            to_ist(span.from).format("%d %b %H:%M:%S"),
            span.seconds(),
            span.reason.as_deref().unwrap_or("no reason recorded")
        );
    }
    out
}

pub fn trades(figures: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<4} {:>6}  {:<15} {:<15} {:>10} {:>10} {:>10} {:>9} {:>10}  exit",
        "instrument",
        "side",
        "qty",
        "entry (IST)",
        "exit (IST)",
        "entry",
        "exit",
        "gross",
        "charges",
        "net"
    );
    for t in &figures.trades {
        let _ = writeln!(
            out,
            "{:<16} {:<4} {:>6}  {:<15} {:<15} {:>10} {:>10} {:>10} {:>9} {:>10}  {}",
            t.instrument,
            t.side,
            t.quantity,
            to_ist(t.entry_time).format("%d %b %H:%M:%S"),
            to_ist(t.exit_time).format("%d %b %H:%M:%S"),
            t.entry_price,
            t.exit_price,
            t.gross.round_dp(2),
            t.charges.round_dp(2),
            t.net.round_dp(2),
            t.exit_reason
        );
    }
    let _ = writeln!(
        out,
        "{} round trips, net {}",
        figures.trades.len(),
        rupees(figures.net)
    );
    out
}
