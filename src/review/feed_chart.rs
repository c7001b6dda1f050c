//! The feed's state over each session as lanes: one row band per state, its label centred on the band, and each
//! stretch the feed spent in that state drawn as a bar inside that band. One picture per IST day, so the time
//! axis reads IST and a night never sits between two bars. Rows and bars both come from `lane_band`, and the
//! tests check the bars against the labels: the chart this replaced put its labels on whole numbers and its bars
//! from 0.2 to 0.8 above them, so every bar sat between two lanes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::figures::{FeedSpan, Figures};
use super::svg::{self, Anchor, Frame, Scale, Svg, WIDTH};
use crate::calendar::to_ist;

/// The feed's states, top lane first: the healthy one on top, the worse the lower.
const LANES: [&str; 5] = [
    "starting",
    "streaming",
    "polling",
    "reconnecting",
    "auth_failed",
];
const LANE_HEIGHT: f64 = 28.0;
/// Between a bar and its lane's edges, so neighbouring lanes' bars never touch.
const BAR_INSET: f64 = 5.0;
const TOP: f64 = 34.0;
const LEFT: f64 = 110.0;
const BOTTOM_ROOM: f64 = 40.0;

/// Lane `row`'s band, top and bottom, in pixels.
fn lane_band(row: usize) -> (f64, f64) {
    let top = TOP + row as f64 * LANE_HEIGHT;
    (top, top + LANE_HEIGHT)
}

/// A state's name as a class: a journal written by another version may hold any text.
fn state_class(state: &str) -> String {
    state
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// One picture per IST day with feed states, in date order.
pub fn feed_timelines(figures: &Figures) -> Vec<String> {
    let mut days: BTreeMap<NaiveDate, Vec<&FeedSpan>> = BTreeMap::new();
    for span in &figures.feed {
        days.entry(to_ist(span.from).date_naive())
            .or_default()
            .push(span);
    }
    days.iter()
        .map(|(day, spans)| day_timeline(*day, spans))
        .collect()
}

fn day_timeline(day: NaiveDate, spans: &[&FeedSpan]) -> String {
    let mut lanes: Vec<&str> = LANES.to_vec();
    for span in spans {
        if !lanes.contains(&span.state.as_str()) {
            lanes.push(&span.state);
        }
    }
    let height = lane_band(lanes.len()).0 + BOTTOM_ROOM;
    let frame = Frame {
        left: LEFT,
        top: TOP,
        right: WIDTH - 24.0,
        bottom: lane_band(lanes.len()).0,
    };
    let start = spans.iter().map(|s| s.from).min().unwrap_or_default();
    let end = spans
        .iter()
        .map(|s| s.to)
        .max()
        .unwrap_or_default()
        .max(start + TimeDelta::minutes(1));
    let x = Scale::new(
        (0.0, (end - start).num_seconds() as f64),
        (frame.left, frame.right),
    );
    let x_of = |at: DateTime<Utc>| x.at((at - start).num_milliseconds() as f64 / 1000.0);
    let heading = format!("Feed state, {}", day.format("%A %-d %b %Y"));
    let mut svg = Svg::new(height, &heading);
    svg.text("heading", (frame.left, 14.0), Anchor::Start, &heading);
    for (row, state) in lanes.iter().enumerate() {
        let (top, bottom) = lane_band(row);
        let class = if row % 2 == 1 { "lane odd" } else { "lane" };
        svg.rect(
            class,
            (frame.left, top),
            (frame.right - frame.left, bottom - top),
            None,
        );
        svg.text(
            &format!("lane-label state-label-{}", state_class(state)),
            (frame.left - 8.0, (top + bottom) / 2.0),
            Anchor::End,
            state,
        );
    }
    let ticks: Vec<(f64, String)> = svg::time_ticks(start, end, 14)
        .into_iter()
        .map(|(at, label)| (x.at((at - start).num_seconds() as f64), label))
        .collect();
    svg::x_axis(&mut svg, frame, &ticks);
    svg.text(
        "caption",
        ((frame.left + frame.right) / 2.0, height - 10.0),
        Anchor::Middle,
        "IST",
    );
    for span in spans {
        let row = lanes.iter().position(|s| *s == span.state).unwrap_or(0);
        let (top, bottom) = lane_band(row);
        let (from, to) = (x_of(span.from), x_of(span.to));
        let title = format!(
            "{} {}–{} IST ({} s){}",
            span.state,
            to_ist(span.from).format("%H:%M:%S"),
            to_ist(span.to).format("%H:%M:%S"),
            span.seconds(),
            span.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        // A one-second fallback still shows.
        svg.rect(
            &format!("bar state-{}", state_class(&span.state)),
            (from, top + BAR_INSET),
            ((to - from).max(1.5), bottom - top - 2.0 * BAR_INSET),
            Some(&title),
        );
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::svg::read::{self, has_class, number};
    use super::*;

    fn span(state: &str, from: (u32, u32), to: (u32, u32)) -> FeedSpan {
        let at = |(h, m): (u32, u32)| -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
        };
        FeedSpan {
            state: state.into(),
            reason: (state == "polling").then(|| "WebSocket handshake refused with 403".into()),
            from: at(from),
            to: at(to),
        }
    }

    #[test]
    fn each_bar_lies_inside_its_own_lane_and_the_lane_label_is_centred_on_it() {
        let spans = [
            span("starting", (3, 40), (3, 41)),
            span("streaming", (3, 41), (4, 30)),
            span("polling", (4, 30), (4, 40)),
            span("reconnecting", (4, 40), (4, 41)),
            span("streaming", (4, 41), (9, 0)),
            span("auth_failed", (9, 0), (9, 30)),
            span("paused", (9, 30), (10, 0)),
        ];
        let refs: Vec<&FeedSpan> = spans.iter().collect();
        let svg = day_timeline(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), &refs);
        let labels = read::elements(&svg, "text");
        let bars: Vec<_> = read::elements(&svg, "rect")
            .into_iter()
            .filter(|r| has_class(r, "bar"))
            .collect();
        assert_eq!(bars.len(), spans.len());
        let lanes: Vec<_> = read::elements(&svg, "rect")
            .into_iter()
            .filter(|r| has_class(r, "lane"))
            .collect();
        assert_eq!(lanes.len(), 6, "five states and the unknown one");
        for (bar, span) in bars.iter().zip(&spans) {
            let label = labels
                .iter()
                .find(|t| has_class(t, "lane-label") && t["text"] == span.state)
                .unwrap_or_else(|| panic!("no lane for {}", span.state));
            let (top, bottom) = (number(bar, "y"), number(bar, "y") + number(bar, "height"));
            let centre = number(label, "y");
            assert!(
                (top + bottom) / 2.0 - centre < 0.11 && centre - (top + bottom) / 2.0 < 0.11,
                "{} bar {top}..{bottom} is not centred on its label at {centre}",
                span.state
            );
            let lane = lanes
                .iter()
                .find(|l| {
                    number(l, "y") <= centre && centre <= number(l, "y") + number(l, "height")
                })
                .unwrap();
            assert!(
                number(lane, "y") < top && bottom < number(lane, "y") + number(lane, "height"),
                "{} bar {top}..{bottom} leaves its lane",
                span.state
            );
            assert!(bar["class"].contains(&format!("state-{}", span.state)));
        }
        // Lanes are stacked without overlap, so a bar inside one is outside the others.
        for pair in lanes.windows(2) {
            assert!(
                number(&pair[0], "y") + number(&pair[0], "height") <= number(&pair[1], "y") + 0.01
            );
        }
    }

    #[test]
    fn the_time_axis_reads_ist_and_bars_start_where_their_span_does() {
        let spans = [
            span("streaming", (3, 45), (4, 30)),
            span("polling", (4, 30), (4, 40)),
        ];
        let refs: Vec<&FeedSpan> = spans.iter().collect();
        let svg = day_timeline(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), &refs);
        let ticks: Vec<_> = read::elements(&svg, "text")
            .into_iter()
            .filter(|t| has_class(t, "x-tick"))
            .collect();
        // 09:15 to 10:10 IST.
        assert_eq!(ticks.first().unwrap()["text"], "09:15");
        assert_eq!(ticks.last().unwrap()["text"], "10:10");
        let polling = read::elements(&svg, "rect")
            .into_iter()
            .find(|r| has_class(r, "state-polling"))
            .unwrap();
        let tick_10 = ticks.iter().find(|t| t["text"] == "10:00").unwrap();
        assert!((number(&polling, "x") - number(tick_10, "x")).abs() < 0.11);
        assert!(!svg.contains("transform"), "no rotated labels");
    }
}
