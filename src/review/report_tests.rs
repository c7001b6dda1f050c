//! The HTML report on a made-up journal: one trade with a trailed stop, read back from the pictures and tables.
//! Marks are checked against the axis labels drawn beside them, so a chart whose marks and axis disagree fails.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rust_decimal::{Decimal, dec};

use super::figures::figures;
use super::html_report::html_report;
use super::html_tables::summary_table;
use super::svg::read::{self, Element, has_class, marker_point, number, value_at_y};
use super::trade_chart::trade_chart;
use crate::journal::{JournalEntry, Recorded};

/// IST wall time on 23 Nov 2026.
fn ist(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap() - TimeDelta::minutes(330)
}

fn at(at: DateTime<Utc>, entry: JournalEntry) -> Recorded {
    Recorded {
        seq: 0,
        at,
        paper: true,
        entry,
    }
}

/// A buy of RELIANCE at 10:02:20 IST, stop 1561.5 trailed twice, target 1572.5, stopped out at 10:20:05.
fn journal() -> Vec<Recorded> {
    let mut entries = vec![
        at(
            ist(9, 15, 0),
            JournalEntry::FeedState {
                state: "streaming".into(),
                reason: None,
            },
        ),
        at(
            ist(10, 2, 15),
            JournalEntry::Signal {
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                price: dec!(1565.9),
                stop: dec!(1561.5),
                target: dec!(1572.5),
                reason: "broke the opening-range high".into(),
            },
        ),
    ];
    for (minute, stop) in [(8, dec!(1562.4)), (12, dec!(1563.8))] {
        let entry = JournalEntry::StopMoved {
            instrument: "NSE:RELIANCE".into(),
            stop,
        };
        entries.push(at(ist(10, minute, 30), entry));
    }
    for minute in 0..40 {
        let start = ist(9, 50, 0) + TimeDelta::minutes(minute);
        let close = dec!(1564) + Decimal::from(minute % 7) / dec!(2);
        entries.push(at(
            start + TimeDelta::minutes(1),
            JournalEntry::TickSummary {
                instrument: "NSE:RELIANCE".into(),
                minute: start,
                open: close - dec!(0.3),
                high: close + dec!(0.6),
                low: close - dec!(0.8),
                close,
                stream_ticks: 20,
                poll_ticks: 0,
            },
        ));
    }
    entries.push(at(
        ist(10, 20, 5),
        JournalEntry::Trade {
            instrument: "NSE:RELIANCE".into(),
            side: "BUY".into(),
            quantity: 84,
            entry_time: ist(10, 2, 20),
            entry_price: dec!(1565.9),
            exit_time: ist(10, 20, 5),
            exit_price: dec!(1563.6),
            pnl: dec!(-193.2),
            charges: dec!(90),
            slippage: dec!(0),
            exit_reason: "stop".into(),
        },
    ));
    entries.push(at(
        ist(15, 30, 0),
        JournalEntry::FeedState {
            state: "stopped".into(),
            reason: None,
        },
    ));
    entries
}

fn chart() -> String {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let figures = figures(&journal(), day, day);
    trade_chart(1, &figures.trades[0], &figures.trade_paths[0])
}

fn with_class(svg: &str, tag: &str, class: &str) -> Vec<Element> {
    read::elements(svg, tag)
        .into_iter()
        .filter(|e| has_class(e, class))
        .collect()
}

/// The x of an IST time as the time axis's labels read it.
fn x_of_time(svg: &str, label: &str) -> f64 {
    let tick = with_class(svg, "text", "x-tick")
        .into_iter()
        .find(|t| t["text"] == label)
        .unwrap_or_else(|| panic!("no {label} tick"));
    number(&tick, "x")
}

fn assert_price(svg: &str, y: f64, price: f64, what: &str) {
    let read = value_at_y(svg, y);
    assert!(
        (read - price).abs() < 0.02,
        "{what} drawn at ₹{read}, not ₹{price}"
    );
}

#[test]
fn a_trade_chart_marks_entry_exit_target_and_the_trailed_stop_at_their_prices() {
    let svg = chart();
    let entry = &with_class(&svg, "path", "entry")[0];
    let (entry_x, entry_y) = marker_point(entry);
    assert_price(&svg, entry_y, 1565.9, "the entry");
    let exit = &with_class(&svg, "path", "exit")[0];
    let (exit_x, exit_y) = marker_point(exit);
    assert_price(&svg, exit_y, 1563.6, "the exit");
    assert!(
        exit["title"].ends_with(": stop"),
        "the exit's reason: {exit:?}"
    );

    // Times against the IST axis: 10:02:20 is a third of the way from 10:00 to 10:05 (and the exit 1/60 past 10:20).
    let (ten, five_past) = (x_of_time(&svg, "10:00"), x_of_time(&svg, "10:05"));
    let per_minute = (five_past - ten) / 5.0;
    assert!((entry_x - (ten + per_minute * (2.0 + 20.0 / 60.0))).abs() < 0.2);
    assert!((exit_x - (x_of_time(&svg, "10:20") + per_minute / 12.0)).abs() < 0.2);

    let target = &with_class(&svg, "line", "target")[0];
    assert_price(&svg, number(target, "y1"), 1572.5, "the target");
    assert_eq!(number(target, "x1"), entry_x);
    assert_eq!(number(target, "x2"), exit_x);

    let stop = &with_class(&svg, "polyline", "stop")[0];
    let points: Vec<(f64, f64)> = stop["points"]
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    // A step line: each level flat, then a vertical move to the next.
    let levels: Vec<f64> = points
        .chunks(2)
        .map(|pair| {
            assert_eq!(pair[0].1, pair[1].1, "a level is flat");
            value_at_y(&svg, pair[0].1)
        })
        .collect();
    for (level, stop) in levels.iter().zip([1561.5, 1562.4, 1563.8]) {
        assert!(
            (level - stop).abs() < 0.02,
            "stop level ₹{level}, not ₹{stop}"
        );
    }
    assert_eq!(levels.len(), 3);
    assert_eq!(points[0].0, entry_x, "the stop starts at the entry");
    assert_eq!(points.last().unwrap().0, exit_x, "and ends at the exit");
    assert!(
        (points[1].0 - (x_of_time(&svg, "10:05") + per_minute * 3.5)).abs() < 0.2,
        "moved at 10:08:30"
    );

    let labels: Vec<String> = with_class(&svg, "text", "mark-label")
        .iter()
        .map(|t| t["text"].clone())
        .collect();
    for label in [
        "entry 1565.9",
        "exit 1563.6 (stop)",
        "target 1572.5",
        "stop 1563.8",
    ] {
        assert!(
            labels.iter().any(|l| l == label),
            "no label {label:?} in {labels:?}"
        );
    }
}

#[test]
fn a_trade_chart_shows_its_minutes_from_before_the_entry_to_after_the_exit_and_says_rupees_level() {
    let svg = chart();
    let candles = with_class(&svg, "rect", "candle");
    // 09:57 to 10:25 IST: five minutes either side of the trade's minutes.
    assert_eq!(candles.len(), 29);
    assert!(svg.contains(">Price (₹)</text>"));
    assert!(!svg.contains("rotate"), "no sideways labels");
    let times: Vec<String> = with_class(&svg, "text", "x-tick")
        .iter()
        .map(|t| t["text"].clone())
        .collect();
    assert_eq!(
        times,
        ["10:00", "10:05", "10:10", "10:15", "10:20", "10:25"]
    );
    assert!(
        x_of_time(&svg, "10:00") > number(&candles[0], "x"),
        "candles start before 10:00"
    );
}

#[test]
fn the_summary_is_a_table_with_a_header_per_figure() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let figures = figures(&journal(), day, day);
    let table = summary_table(&figures);
    assert!(table.starts_with("<table"));
    assert!(
        table.contains(
            "<th scope=\"row\">Net P&amp;L</th><td class=\"num loss\">\u{2212}₹283.20</td>"
        ),
        "{table}"
    );
    assert!(
        table.contains("<th scope=\"row\">Trades</th><td class=\"num\">1 (0 won, 1 lost)</td>")
    );
}

#[test]
fn the_report_is_one_offline_page_of_tables_and_charts() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let html = html_report(&figures(&journal(), day, day)).unwrap();
    for id in ["equity-curve", "pnl-per-trade", "trade-1", "feed-timeline"] {
        assert!(
            html.contains(&format!("<figure id=\"{id}\"><svg")),
            "no {id}"
        );
    }
    assert!(html.contains("<table class=\"summary\">"));
    assert!(html.contains("<table class=\"trades\">\n<thead><tr><th scope=\"col\">#</th>"));
    assert!(
        html.contains("<a href=\"#trade-1\">1</a>"),
        "the table links to the chart"
    );
    assert!(!html.contains("<pre"), "no preformatted text");
    for outside in ["<script", "<link", "http://", "https://", "@import", "url("] {
        let outside_svg_namespace = html.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside_svg_namespace.contains(outside),
            "the page reaches outside: {outside}"
        );
    }
}

#[test]
fn a_sell_is_marked_by_a_downward_triangle_with_its_label_above() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut figures = figures(&journal(), day, day);
    figures.trades[0].side = "SELL".into();
    let svg = trade_chart(1, &figures.trades[0], &figures.trade_paths[0]);
    let entry = &with_class(&svg, "path", "entry")[0];
    let (_, y) = marker_point(entry);
    assert!(
        entry["d"].contains("l-7,-11 h14"),
        "points down: {}",
        entry["d"]
    );
    let label = with_class(&svg, "text", "entry")
        .into_iter()
        .find(|t| has_class(t, "mark-label"))
        .unwrap();
    assert!(number(&label, "y") < y, "the label sits above the mark");
}

#[test]
fn a_period_without_trades_says_so_instead_of_drawing_empty_axes() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let html = html_report(&figures(&journal(), day, day)).unwrap();
    assert!(html.contains("No round trips in this period."));
    assert!(!html.contains("<svg"), "nothing to draw");
    assert!(html.contains("The journal kept no feed states for this period."));
}
