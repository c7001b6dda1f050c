//! One self-contained HTML file for a journaled period: the summary and the trades as tables, the equity curve
//! and P&L per trade, a price chart of each trade, and the feed's state over each session with its fallbacks.
//! The charts are inline SVG and the looks a small inline style, so the file opens offline in any browser,
//! carries no script and fetches nothing.

use std::fmt::Write;

use super::feed_chart::feed_timelines;
use super::figures::Figures;
use super::html_tables::{fallbacks_table, summary_table, trades_table};
use super::pnl_charts::{equity_curve, pnl_per_trade};
use super::svg::{self, escape};
use super::trade_chart::trade_chart;

const PAGE_STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 12px}\
h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
table{border-collapse:collapse;margin:12px 0;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #e4e4e4}\
thead th{text-align:left;background:#f3f3f3;border-bottom:2px solid #ccc}tbody th{text-align:left;font-weight:normal;\
color:#555}tfoot th,tfoot td{border-top:2px solid #ccc;font-weight:bold}td.num{text-align:right;\
font-variant-numeric:tabular-nums;white-space:nowrap}.gain{color:#2e7d32}.loss{color:#c62828}\
figure{margin:16px 0}p.note{color:#555;font-size:14px}";

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

/// The report as one HTML document.
pub fn html_report(figures: &Figures) -> Result<String, String> {
    if figures.trade_paths.len() != figures.trades.len() {
        return Err(format!(
            "{} trades but {} trade charts: the figures were not made by `figures`",
            figures.trades.len(),
            figures.trade_paths.len()
        ));
    }
    let title = format!("dalal: {}", period(figures));
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n\
         <style>{PAGE_STYLE}{}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        svg::STYLE,
        escape(&title)
    );
    let _ = writeln!(
        html,
        "<h2 id=\"summary\">Summary</h2>\n{}",
        summary_table(figures)
    );
    // Empty axes would only say the same as this line, less plainly.
    if figures.trades.is_empty() {
        let _ = writeln!(html, "<p class=\"note\">No round trips in this period.</p>");
    } else {
        let _ = writeln!(
            html,
            "<figure id=\"equity-curve\">{}</figure>\n<figure id=\"pnl-per-trade\">{}</figure>",
            equity_curve(figures),
            pnl_per_trade(figures)
        );
    }
    let _ = writeln!(
        html,
        "<h2 id=\"trades\">Trades</h2>\n{}",
        trades_table(figures)
    );
    if !figures.trades.is_empty() {
        let _ = writeln!(
            html,
            "<h2 id=\"trade-charts\">Each trade</h2>\n<p class=\"note\">One candle a minute, from {} minutes \
             before the entry to as long after the exit; the shaded stretch is the time held. ▲ entry (▼ for a \
             sell), ◆ exit, red steps: the stop as it trailed, green dashes: the target. Hover a mark for its \
             time and price.</p>",
            super::trade_path::MARGIN_MINUTES
        );
    }
    for (i, (trade, path)) in figures.trades.iter().zip(&figures.trade_paths).enumerate() {
        let _ = writeln!(
            html,
            "<figure id=\"trade-{}\">{}</figure>",
            i + 1,
            trade_chart(i + 1, trade, path)
        );
    }
    let _ = writeln!(html, "<h2 id=\"feed\">Feed</h2>");
    let timelines = feed_timelines(figures);
    if timelines.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"note\">The journal kept no feed states for this period.</p>"
        );
    } else {
        let _ = writeln!(
            html,
            "<figure id=\"feed-timeline\">{}</figure>",
            timelines.concat()
        );
    }
    let _ = writeln!(html, "{}</body></html>", fallbacks_table(figures));
    Ok(html)
}
