//! The figures as HTML tables for the report: the summary (one row per figure, its name as the row's header),
//! the fallback episodes, and the round trips. They say what `tables` says for the terminal, in cells a browser
//! aligns and a reader can copy, rather than preformatted text.

use std::fmt::Write;

use super::figures::Figures;
use super::pnl_charts::rupees;
use super::svg::escape;
use crate::calendar::to_ist;

fn hours(seconds: i64) -> String {
    format!("{} h {:02} min", seconds / 3600, (seconds % 3600) / 60)
}

fn signed_class(value: rust_decimal::Decimal) -> &'static str {
    if value > rust_decimal::Decimal::ZERO {
        "num gain"
    } else if value < rust_decimal::Decimal::ZERO {
        "num loss"
    } else {
        "num"
    }
}

pub fn summary_table(figures: &Figures) -> String {
    let win_rate = figures
        .win_rate()
        .map_or("–".to_string(), |r| format!("{r} %"));
    let slippage = figures
        .average_slippage()
        .map_or("–".to_string(), |s| format!("{} per trade", rupees(s)));
    let rows: [(&str, String, &str); 11] = [
        (
            "Trades",
            format!(
                "{} ({} won, {} lost)",
                figures.trades.len(),
                figures.wins,
                figures.losses
            ),
            "num",
        ),
        ("Win rate", win_rate, "num"),
        (
            "Gross P&L",
            rupees(figures.gross),
            signed_class(figures.gross),
        ),
        ("Charges (estimate)", rupees(figures.charges), "num"),
        ("Net P&L", rupees(figures.net), signed_class(figures.net)),
        ("Max drawdown", rupees(figures.max_drawdown), "num"),
        ("Slippage against the signal price", slippage, "num"),
        (
            "Orders",
            format!(
                "{}, {} rejected or refused",
                figures.orders, figures.rejections
            ),
            "num",
        ),
        (
            "Feed streaming",
            hours(figures.seconds_in("streaming")),
            "num",
        ),
        ("Feed polling", hours(figures.seconds_in("polling")), "num"),
        (
            "Feed reconnecting",
            hours(figures.seconds_in("reconnecting")),
            "num",
        ),
    ];
    let mut html = String::from("<table class=\"summary\">\n<tbody>\n");
    for (name, value, class) in rows {
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td class=\"{class}\">{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    let _ = writeln!(
        html,
        "<tr><th scope=\"row\">Fallbacks to polling</th><td class=\"num\">{}</td></tr>\n</tbody>\n</table>",
        figures.fallbacks().count()
    );
    html
}

/// Each time the feed fell back to polling, how long for and why; empty when it never did.
pub fn fallbacks_table(figures: &Figures) -> String {
    let fallbacks: Vec<_> = figures.fallbacks().collect();
    if fallbacks.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<table class=\"fallbacks\">\n<thead><tr><th scope=\"col\">from (IST)</th>\
         <th scope=\"col\">seconds</th><th scope=\"col\">reason</th></tr></thead>\n<tbody>\n",
    );
    for span in fallbacks {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            to_ist(span.from).format("%d %b %H:%M:%S"),
            span.seconds(),
            escape(span.reason.as_deref().unwrap_or("no reason recorded"))
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// The round trips in exit order, each numbered and linked to its chart.
pub fn trades_table(figures: &Figures) -> String {
    let headers = [
        "#",
        "instrument",
        "side",
        "qty",
        "entry (IST)",
        "entry ₹",
        "exit (IST)",
        "exit ₹",
        "gross",
        "charges",
        "net",
        "exit reason",
    ];
    let mut html = String::from("<table class=\"trades\">\n<thead><tr>");
    for header in headers {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape(header));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for (i, t) in figures.trades.iter().enumerate() {
        let number = i + 1;
        let _ = writeln!(
            html,
            "<tr><td><a href=\"#trade-{number}\">{number}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>\
             <td class=\"num\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            escape(&t.instrument),
            escape(&t.side),
            t.quantity,
            to_ist(t.entry_time).format("%d %b %H:%M:%S"),
            t.entry_price,
            to_ist(t.exit_time).format("%d %b %H:%M:%S"),
            t.exit_price,
            signed_class(t.gross),
            rupees(t.gross),
            rupees(t.charges),
            signed_class(t.net),
            rupees(t.net),
            escape(&t.exit_reason)
        );
    }
    let _ = writeln!(
        html,
        "</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"8\">{} round trips</th><td class=\"{}\">{}</td>\
         <td class=\"num\">{}</td><td class=\"{}\">{}</td><td></td></tr></tfoot>\n</table>",
        figures.trades.len(),
        signed_class(figures.gross),
        rupees(figures.gross),
        rupees(figures.charges),
        signed_class(figures.net),
        rupees(figures.net)
    );
    html
}
