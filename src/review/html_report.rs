//! One self-contained HTML file for a journaled period: the summary, the equity curve, P&L per trade, the feed's
//! state over the session, and the trade table. Charts are drawn with plotters as inline SVG, so the file opens
//! offline in any browser and carries no script.

use std::fmt::Write;

use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::figures::Figures;
use super::tables;
use crate::calendar::to_ist;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 320;
/// The feed states, bottom row first, and their colours in the timeline.
const FEED_ROWS: [(&str, RGBColor); 5] = [
    ("auth_failed", RGBColor(150, 30, 30)),
    ("reconnecting", RGBColor(230, 140, 20)),
    ("polling", RGBColor(220, 190, 40)),
    ("streaming", RGBColor(40, 150, 70)),
    ("starting", RGBColor(150, 150, 150)),
];

type ChartResult = Result<(), String>;

fn money(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

/// The y range of `values` with zero in it and a little room above and below.
fn value_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (low, high) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let pad = ((high - low) * 0.1).max(1.0);
    (low - pad)..(high + pad)
}

/// At most 20 axis labels, so a long day's trade numbers stay readable.
fn label_count(values: usize) -> usize {
    values.clamp(2, 20)
}

fn draw_error<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw the chart: {e:?}")
}

fn equity_curve(figures: &Figures, svg: &mut String) -> ChartResult {
    let mut points = vec![(0.0, 0.0)];
    points.extend(
        figures
            .equity_curve()
            .iter()
            .enumerate()
            .map(|(i, (_, total))| ((i + 1) as f64, money(*total))),
    );
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Equity curve: cumulative net P&L (₹)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(70)
        .build_cartesian_2d(
            0f64..(figures.trades.len().max(1) as f64),
            value_range(points.iter().map(|p| p.1)),
        )
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("after trade")
        .x_labels(label_count(figures.trades.len() + 1))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("₹")
        .draw()
        .map_err(draw_error)?;
    chart
        .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))
        .map_err(draw_error)?;
    chart
        .draw_series(points.iter().map(|p| Circle::new(*p, 3, BLUE.filled())))
        .map_err(draw_error)?;
    root.present().map_err(draw_error)
}

fn pnl_per_trade(figures: &Figures, svg: &mut String) -> ChartResult {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Net P&L per trade (₹)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(70)
        .build_cartesian_2d(
            -0.5f64..(figures.trades.len().max(1) as f64 - 0.5),
            value_range(figures.trades.iter().map(|t| money(t.net))),
        )
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("trade, in exit order")
        .x_labels(label_count(figures.trades.len()))
        .x_label_formatter(&|x| format!("#{:.0}", x + 1.0))
        .y_desc("₹")
        .draw()
        .map_err(draw_error)?;
    chart
        .draw_series(figures.trades.iter().enumerate().map(|(i, t)| {
            let colour = if t.net > Decimal::ZERO {
                RGBColor(40, 150, 70)
            } else {
                RGBColor(200, 50, 50)
            };
            Rectangle::new(
                [(i as f64 - 0.35, 0.0), (i as f64 + 0.35, money(t.net))],
                colour.filled(),
            )
        }))
        .map_err(draw_error)?;
    root.present().map_err(draw_error)
}

/// Feed states as bars along the session's minutes, one row per state; days follow each other.
fn feed_timeline(figures: &Figures, svg: &mut String) -> ChartResult {
    let mut bars = Vec::new();
    let mut offset = 0.0;
    for span in &figures.feed {
        let minutes = span.seconds() as f64 / 60.0;
        let row = FEED_ROWS
            .iter()
            .position(|(name, _)| *name == span.state)
            .unwrap_or(0);
        bars.push((offset, offset + minutes, row));
        offset += minutes;
    }
    let first = figures.feed.first().map(|s| s.from);
    let single_day = figures.from == figures.to;
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Feed state over the session", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(100)
        .build_cartesian_2d(0f64..offset.max(1.0), -0.5f64..FEED_ROWS.len() as f64 - 0.5)
        .map_err(draw_error)?;
    let time_label = |x: &f64| match (single_day, first) {
        (true, Some(start)) => to_ist(start + chrono::TimeDelta::seconds((*x * 60.0) as i64))
            .format("%H:%M")
            .to_string(),
        _ => format!("{x:.0} min"),
    };
    // Rows sit on whole numbers; labels between them stay empty.
    let row_label = |y: &f64| match FEED_ROWS.get(y.round() as usize) {
        Some((name, _)) if (y - y.round()).abs() < 0.01 => (*name).to_string(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(if single_day {
            "IST"
        } else {
            "session minutes, days one after another"
        })
        .x_label_formatter(&time_label)
        .y_labels(FEED_ROWS.len())
        .y_label_formatter(&row_label)
        .disable_y_mesh()
        .draw()
        .map_err(draw_error)?;
    chart
        .draw_series(bars.iter().map(|(from, to, row)| {
            let y = *row as f64;
            Rectangle::new(
                [(*from, y + 0.2), (*to, y + 0.8)],
                FEED_ROWS[*row].1.filled(),
            )
        }))
        .map_err(draw_error)?;
    root.present().map_err(draw_error)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one HTML document.
pub fn html_report(figures: &Figures) -> Result<String, String> {
    let mut charts = Vec::new();
    for draw in [equity_curve, pnl_per_trade, feed_timeline] {
        let mut svg = String::new();
        draw(figures, &mut svg)?;
        charts.push(svg);
    }
    let mut html = String::new();
    let title = format!(
        "dalal: {} to {}",
        figures.from.format("%-d %b %Y"),
        figures.to.format("%-d %b %Y")
    );
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;margin:24px;color:#222}}pre{{background:#f6f6f6;padding:12px}}\
         figure{{margin:16px 0}}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(html, "<pre>{}</pre>", escape(&tables::summary(figures)));
    for (id, svg) in ["equity-curve", "pnl-per-trade", "feed-timeline"]
        .iter()
        .zip(&charts)
    {
        let _ = writeln!(html, "<figure id=\"{id}\">{svg}</figure>");
    }
    let _ = writeln!(
        html,
        "<h2>Trades</h2>\n<pre>{}</pre>\n</body></html>",
        escape(&tables::trades(figures))
    );
    Ok(html)
}
