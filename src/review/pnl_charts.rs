//! The period's money as two pictures: the cumulative net P&L after each trade (the equity curve) and each
//! trade's net P&L as a bar. Both count trades in exit order, so they line up with the trade table's numbers,
//! and both say "₹" in a horizontal caption above the axis rather than in a sideways glyph beside it.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::figures::{Figures, TradeRow};
use super::svg::{self, Anchor, Frame, Scale, Svg, WIDTH};
use crate::calendar::to_ist;

const HEIGHT: f64 = 300.0;
const FRAME: Frame = Frame {
    left: 72.0,
    top: 52.0,
    right: WIDTH - 24.0,
    bottom: HEIGHT - 44.0,
};

pub fn money(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

/// Rupees as the tables write them: two decimals and a real minus sign.
pub fn rupees(value: Decimal) -> String {
    let sign = if value < Decimal::ZERO {
        "\u{2212}"
    } else {
        ""
    };
    format!("{sign}₹{:.2}", value.abs().round_dp(2))
}

/// A y scale holding zero and every value, with a little room, and its ticks.
fn money_axis(values: impl Iterator<Item = f64>) -> (Scale, Vec<(f64, String)>) {
    let (low, high) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let pad = ((high - low) * 0.08).max(1.0);
    let (low, high) = (low - pad, high + pad);
    let scale = Scale::new((low, high), (FRAME.bottom, FRAME.top));
    (scale, svg::placed(scale, svg::nice_ticks(low, high, 6)))
}

fn headings(svg: &mut Svg, heading: &str, y_caption: &str, x_caption: &str) {
    svg.text("heading", (FRAME.left, 16.0), Anchor::Start, heading);
    svg.text("caption", (8.0, FRAME.top - 16.0), Anchor::Start, y_caption);
    svg.text(
        "caption",
        ((FRAME.left + FRAME.right) / 2.0, HEIGHT - 10.0),
        Anchor::Middle,
        x_caption,
    );
}

fn describe(number: usize, trade: &TradeRow) -> String {
    format!(
        "#{number} {} {} {}, exit {} IST ({}): net {}",
        trade.instrument,
        trade.side,
        trade.quantity,
        to_ist(trade.exit_time).format("%d %b %H:%M"),
        trade.exit_reason,
        rupees(trade.net)
    )
}

pub fn equity_curve(figures: &Figures) -> String {
    let count = figures.trades.len();
    let mut totals = vec![0.0];
    totals.extend(
        figures
            .equity_curve()
            .iter()
            .map(|(_, total)| money(*total)),
    );
    let x = Scale::new((0.0, count.max(1) as f64), (FRAME.left, FRAME.right));
    let (y, y_ticks) = money_axis(totals.iter().copied());
    let mut svg = Svg::new(HEIGHT, "Equity curve: cumulative net P&L after each trade");
    headings(
        &mut svg,
        "Equity curve",
        "Cumulative net P&L (₹)",
        "after trade, in exit order",
    );
    svg::y_axis(&mut svg, FRAME, &y_ticks);
    let x_ticks: Vec<(f64, String)> = svg::count_ticks(count, 12)
        .into_iter()
        .map(|i| {
            (
                i as f64,
                if i == 0 {
                    "start".into()
                } else {
                    format!("#{i}")
                },
            )
        })
        .collect();
    svg::x_axis(&mut svg, FRAME, &svg::placed(x, x_ticks));
    svg.line(
        "zero",
        (FRAME.left, y.at(0.0)),
        (FRAME.right, y.at(0.0)),
        None,
    );
    let points: Vec<(f64, f64)> = totals
        .iter()
        .enumerate()
        .map(|(i, total)| (x.at(i as f64), y.at(*total)))
        .collect();
    svg.polyline("equity", &points, None);
    let equity = figures.equity_curve();
    for (i, point) in points.iter().enumerate().skip(1) {
        let title = format!(
            "{}; total {}",
            describe(i, &figures.trades[i - 1]),
            rupees(equity[i - 1].1)
        );
        svg.circle("point", *point, 3.5, Some(&title));
    }
    svg.finish()
}

pub fn pnl_per_trade(figures: &Figures) -> String {
    let count = figures.trades.len();
    let x = Scale::new((0.5, count.max(1) as f64 + 0.5), (FRAME.left, FRAME.right));
    let (y, y_ticks) = money_axis(figures.trades.iter().map(|t| money(t.net)));
    let mut svg = Svg::new(HEIGHT, "Net P&L of each trade");
    headings(
        &mut svg,
        "Net P&L per trade",
        "Net P&L (₹)",
        "trade, in exit order",
    );
    svg::y_axis(&mut svg, FRAME, &y_ticks);
    let x_ticks: Vec<(f64, String)> = svg::count_ticks(count, 20)
        .into_iter()
        .filter(|i| *i > 0)
        .map(|i| (i as f64, format!("#{i}")))
        .collect();
    let x_ticks = if x_ticks.first().is_some_and(|t| t.0 > 1.0) {
        [(1.0, "#1".to_string())]
            .into_iter()
            .chain(x_ticks)
            .collect()
    } else {
        x_ticks
    };
    svg::x_axis(&mut svg, FRAME, &svg::placed(x, x_ticks));
    let width = (x.at(1.0) - x.at(0.0)) * 0.7;
    for (i, trade) in figures.trades.iter().enumerate() {
        let centre = x.at(i as f64 + 1.0);
        let (zero, net) = (y.at(0.0), y.at(money(trade.net)));
        let class = if trade.net > Decimal::ZERO {
            "up"
        } else {
            "down"
        };
        svg.rect(
            class,
            (centre - width / 2.0, zero.min(net)),
            (width, (zero - net).abs().max(1.0)),
            Some(&describe(i + 1, trade)),
        );
    }
    svg.line(
        "zero",
        (FRAME.left, y.at(0.0)),
        (FRAME.right, y.at(0.0)),
        None,
    );
    svg.finish()
}
