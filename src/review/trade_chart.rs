//! One round trip as a picture: the instrument's minute candles from a few minutes before the entry to a few
//! after the exit, the time it was held shaded, the entry and exit marked at their times and fill prices, the
//! target as a dashed line and the stop as a step line that follows each trail move. It is the view that answers
//! "was that a good trade, and did the exits do what they should", which the tables cannot.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::figures::TradeRow;
use super::pnl_charts::{money, rupees};
use super::svg::{self, Anchor, Frame, Scale, Svg, WIDTH};
use super::trade_path::{MARGIN_MINUTES, TradePath};
use crate::calendar::to_ist;

const HEIGHT: f64 = 340.0;
/// Room on the right for the stop's and target's labels.
const FRAME: Frame = Frame {
    left: 72.0,
    top: 52.0,
    right: WIDTH - 120.0,
    bottom: HEIGHT - 44.0,
};
/// Triangles pointing the trade's way, and a diamond for the exit, each drawn around the path's start point.
const BUY_MARK: &str = "m0,-1 l-7,11 h14 z";
const SELL_MARK: &str = "m0,1 l-7,-11 h14 z";
const EXIT_MARK: &str = "m0,-8 l7,8 l-7,8 l-7,-8 z";

/// Where an instant and a price land in the picture.
struct Place {
    start: DateTime<Utc>,
    x: Scale,
    y: Scale,
}

impl Place {
    fn x(&self, at: DateTime<Utc>) -> f64 {
        self.x
            .at((at - self.start).num_milliseconds() as f64 / 1000.0)
    }

    fn y(&self, price: Decimal) -> f64 {
        self.y.at(money(price))
    }
}

/// The picture of trade `number` (its place in the trade table).
pub fn trade_chart(number: usize, trade: &TradeRow, path: &TradePath) -> String {
    let margin = TimeDelta::minutes(MARGIN_MINUTES);
    let start = trade
        .entry_time
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or(trade.entry_time)
        - margin;
    let end = path
        .bars
        .last()
        .map_or(trade.exit_time, |b| b.minute + TimeDelta::minutes(1))
        .max(trade.exit_time + margin);
    let prices = path
        .bars
        .iter()
        .flat_map(|b| [b.high, b.low])
        .chain([trade.entry_price, trade.exit_price])
        .chain(path.stops.iter().map(|s| s.1))
        .chain(path.target)
        .map(money);
    let (low, high) = prices.fold((f64::MAX, f64::MIN), |(l, h), p| (l.min(p), h.max(p)));
    let pad = ((high - low) * 0.08).max(0.05);
    let (low, high) = (low - pad, high + pad);
    let place = Place {
        start,
        x: Scale::new(
            (0.0, (end - start).num_seconds() as f64),
            (FRAME.left, FRAME.right),
        ),
        y: Scale::new((low, high), (FRAME.bottom, FRAME.top)),
    };

    let heading = format!(
        "#{number} {} · {} {} · net {} · exit: {}",
        trade.instrument,
        trade.side,
        trade.quantity,
        rupees(trade.net),
        trade.exit_reason
    );
    let mut svg = Svg::new(HEIGHT, &heading);
    svg.text("heading", (FRAME.left, 16.0), Anchor::Start, &heading);
    svg.text(
        "caption",
        (8.0, FRAME.top - 16.0),
        Anchor::Start,
        "Price (₹)",
    );
    svg.text(
        "caption",
        ((FRAME.left + FRAME.right) / 2.0, HEIGHT - 10.0),
        Anchor::Middle,
        "IST, one candle a minute",
    );
    let (entry_x, exit_x) = (place.x(trade.entry_time), place.x(trade.exit_time));
    svg.rect(
        "held",
        (entry_x, FRAME.top),
        (exit_x - entry_x, FRAME.bottom - FRAME.top),
        Some(&format!(
            "held {}–{} IST",
            to_ist(trade.entry_time).format("%H:%M:%S"),
            to_ist(trade.exit_time).format("%H:%M:%S")
        )),
    );
    let price_ticks = svg::placed(place.y, svg::nice_ticks(low, high, 7));
    svg::y_axis(&mut svg, FRAME, &price_ticks);
    let time_ticks: Vec<(f64, String)> = svg::time_ticks(start, end, 12)
        .into_iter()
        .map(|(at, label)| (place.x(at), label))
        .collect();
    svg::x_axis(&mut svg, FRAME, &time_ticks);
    candles(&mut svg, &place, path);
    stop_and_target(&mut svg, &place, trade, path);
    entry_and_exit(&mut svg, &place, trade);
    svg.finish()
}

fn candles(svg: &mut Svg, place: &Place, path: &TradePath) {
    if path.bars.is_empty() {
        let middle = (
            (FRAME.left + FRAME.right) / 2.0,
            (FRAME.top + FRAME.bottom) / 2.0,
        );
        let note = "no minute prices were journaled around this trade";
        svg.text("caption", middle, Anchor::Middle, note);
    }
    let minute = place.x(place.start + TimeDelta::minutes(1)) - place.x(place.start);
    let width = (minute * 0.6).max(1.0);
    for bar in &path.bars {
        let centre = place.x(bar.minute + TimeDelta::seconds(30));
        let class = if bar.close >= bar.open { "up" } else { "down" };
        let title = format!(
            "{} IST  open {}  high {}  low {}  close {}",
            svg::hhmm(bar.minute),
            bar.open,
            bar.high,
            bar.low,
            bar.close
        );
        let (high, low) = (place.y(bar.high), place.y(bar.low));
        svg.line("wick", (centre, high), (centre, low), None);
        let top = place.y(bar.open.max(bar.close));
        let bottom = place.y(bar.open.min(bar.close));
        svg.rect(
            &format!("candle {class}"),
            (centre - width / 2.0, top),
            (width, (bottom - top).max(1.0)),
            Some(&title),
        );
    }
}

/// The target as a dashed line over the time held, the stop as a step line; each labelled at the right edge with
/// where it ended, to the paisa.
fn stop_and_target(svg: &mut Svg, place: &Place, trade: &TradeRow, path: &TradePath) {
    let (entry_x, exit_x) = (place.x(trade.entry_time), place.x(trade.exit_time));
    let (target_label, stop_label) = apart(
        path.target.map(|t| place.y(t)),
        path.stops.last().map(|s| place.y(s.1)),
    );
    if let (Some(target), Some(label_y)) = (path.target, target_label) {
        let y = place.y(target);
        let title = format!("target ₹{target}");
        svg.line("target", (entry_x, y), (exit_x, y), Some(&title));
        let label = format!("target {}", target.round_dp(2));
        svg.text(
            "mark-label target",
            (FRAME.right + 6.0, label_y),
            Anchor::Start,
            &label,
        );
    }
    if let (Some((_, last)), Some(label_y)) = (path.stops.last(), stop_label) {
        let steps = stop_steps(place, path, trade.exit_time);
        svg.polyline("stop", &steps, Some(&stop_title(path)));
        let label = format!("stop {}", last.round_dp(2));
        svg.text(
            "mark-label stop",
            (FRAME.right + 6.0, label_y),
            Anchor::Start,
            &label,
        );
    }
}

fn entry_and_exit(svg: &mut Svg, place: &Place, trade: &TradeRow) {
    let entry_at = (place.x(trade.entry_time), place.y(trade.entry_price));
    let buy = trade.side.eq_ignore_ascii_case("buy");
    let title = format!(
        "entry {} IST: {} {} at ₹{}",
        to_ist(trade.entry_time).format("%H:%M:%S"),
        trade.side,
        trade.quantity,
        trade.entry_price
    );
    let shape = if buy { BUY_MARK } else { SELL_MARK };
    svg.marker("mark entry", entry_at, shape, Some(&title));
    // Under a buy's upward triangle, over a sell's downward one, so the label never covers its mark; running
    // right, so an entry near the left edge does not write over the price axis.
    let label_at = (
        entry_at.0 - 6.0,
        entry_at.1 + if buy { 20.0 } else { -20.0 },
    );
    let label = format!("entry {}", trade.entry_price);
    svg.text("mark-label entry", label_at, Anchor::Start, &label);

    let exit_at = (place.x(trade.exit_time), place.y(trade.exit_price));
    let title = format!(
        "exit {} IST at ₹{}: {}",
        to_ist(trade.exit_time).format("%H:%M:%S"),
        trade.exit_price,
        trade.exit_reason
    );
    svg.marker("mark exit", exit_at, EXIT_MARK, Some(&title));
    // Left of the diamond, so a stop or target label at the right edge stays clear of it.
    let label = format!("exit {} ({})", trade.exit_price, trade.exit_reason);
    let label_at = (exit_at.0 - 12.0, exit_at.1 - 14.0);
    svg.text("mark-label exit", label_at, Anchor::End, &label);
}

/// Two label heights at least a line apart: a stop trailed up to its target would otherwise write its label over
/// the target's.
fn apart(target: Option<f64>, stop: Option<f64>) -> (Option<f64>, Option<f64>) {
    const LINE: f64 = 14.0;
    match (target, stop) {
        (Some(target), Some(stop)) if (stop - target).abs() < LINE => {
            let push = (LINE - (stop - target).abs()) / 2.0;
            let down = if stop >= target { 1.0 } else { -1.0 };
            (Some(target - push * down), Some(stop + push * down))
        }
        other => other,
    }
}

/// The stop as a step line: each level held flat until the next move, the last until the exit.
fn stop_steps(place: &Place, path: &TradePath, exit: DateTime<Utc>) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    for (i, (from, stop)) in path.stops.iter().enumerate() {
        let until = path.stops.get(i + 1).map_or(exit, |next| next.0);
        points.push((place.x(*from), place.y(*stop)));
        points.push((place.x(until.max(*from)), place.y(*stop)));
    }
    points
}

fn stop_title(path: &TradePath) -> String {
    let (Some(first), Some(last)) = (path.stops.first(), path.stops.last()) else {
        return String::new();
    };
    let since = to_ist(first.0).format("%H:%M:%S");
    match path.stops.len() {
        1 => format!("stop ₹{} from {since} IST, never moved", first.1),
        moves => format!(
            "stop ₹{} from {since} IST, moved {} times to ₹{} (last at {} IST)",
            first.1,
            moves - 1,
            last.1,
            to_ist(last.0).format("%H:%M:%S")
        ),
    }
}
