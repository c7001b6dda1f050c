//! `dalal journal` on a journal made by a simulated day: the summary's figures against figures computed here,
//! independently, from the journaled round trips; the CSV against the trades; the HTML report's tables and
//! charts, with a price chart of every trade.

use std::process::Command;

use dalal::journal::JournalEntry;
use dalal::review;
use rust_decimal::Decimal;
use rust_decimal::dec;

use crate::day_runner::{journal_entries, short_day_config, short_day_sim, start_runner};
use crate::support::{SIM_TOKEN, date, quiet_scenario};

/// Net P&L of each journaled round trip, in exit order, and its slippage.
fn journaled_trades(entries: &[dalal::journal::Recorded]) -> Vec<(Decimal, Decimal)> {
    let mut trades: Vec<_> = entries
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::Trade {
                exit_time,
                pnl,
                charges,
                slippage,
                ..
            } => Some((*exit_time, *pnl - *charges, *slippage)),
            _ => None,
        })
        .collect();
    trades.sort_by_key(|t| t.0);
    trades.into_iter().map(|t| (t.1, t.2)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_of_a_simulated_day_reads_back_as_the_same_figures_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut config = short_day_config(&journal);
    // The shipped exits, so the day has stops and targets as well as time exits.
    let shipped = dalal::config::Config::load(&crate::support::shipped_config()).unwrap();
    config.strategy.exit = shipped.strategy.exit.clone();
    let sim = short_day_sim(&config, quiet_scenario(), (9, 14), 120.0).await;
    start_runner(&sim, config, true, SIM_TOKEN).finish().await;
    let entries = journal_entries(&journal);
    let trades = journaled_trades(&entries);
    assert!(!trades.is_empty(), "the simulated day traded");

    let figures = review::figures(&entries, date(2026, 11, 23), date(2026, 11, 23));
    let net: Decimal = trades.iter().map(|t| t.0).sum();
    let wins = trades.iter().filter(|t| t.0 > dec!(0)).count();
    let (mut peak, mut total, mut drawdown) = (dec!(0), dec!(0), dec!(0));
    for (pnl, _) in &trades {
        total += pnl;
        peak = peak.max(total);
        drawdown = drawdown.max(peak - total);
    }
    let orders = entries.iter().filter(|r| r.entry.kind() == "order").count();
    assert_eq!(figures.trades.len(), trades.len());
    assert_eq!(figures.net, net);
    assert_eq!(figures.wins as usize, wins);
    assert_eq!(figures.max_drawdown, drawdown);
    assert_eq!(figures.orders as usize, orders);
    let slippage: Decimal = trades.iter().map(|t| t.1).sum();
    assert_eq!(
        figures.average_slippage(),
        Some((slippage / Decimal::from(trades.len())).round_dp(2))
    );
    let streamed = figures.seconds_in("streaming");
    assert!(
        streamed > 40 * 60,
        "a quiet 45-minute session streams most of the time: {streamed} s"
    );

    // The command line shows the same figures.
    let dalal = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
            .args(["journal", "--journal"])
            .arg(&journal)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let summary = dalal(&["summary", "--date", "2026-11-23"]);
    assert!(
        summary.contains(&format!("trades         {} ({wins} won", trades.len())),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("net ₹{}", net.round_dp(2))),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("max drawdown   ₹{}", drawdown.round_dp(2))),
        "{summary}"
    );
    let table = dalal(&["trades"]);
    assert_eq!(table.lines().count(), trades.len() + 2, "{table}");

    let csv_path = dir.path().join("trades.csv");
    dalal(&["export", "--csv", csv_path.to_str().unwrap()]);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let net_column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "net_pnl")
        .unwrap();
    let nets: Vec<Decimal> = reader
        .records()
        .map(|r| r.unwrap()[net_column].parse().unwrap())
        .collect();
    assert_eq!(nets, trades.iter().map(|t| t.0).collect::<Vec<_>>());

    let html_path = dir.path().join("report.html");
    dalal(&["report", "--html", html_path.to_str().unwrap()]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    for chart in ["equity-curve", "pnl-per-trade", "feed-timeline"] {
        let start = html
            .find(&format!("<figure id=\"{chart}\"><svg"))
            .unwrap_or_else(|| panic!("{chart} missing"));
        let end = start + html[start..].find("</svg>").unwrap();
        assert!(
            html[start..end].contains("<rect") || html[start..end].contains("<polyline"),
            "{chart} is empty"
        );
    }
    assert!(
        !html.contains("<script"),
        "the report is plain HTML and SVG"
    );
    assert!(
        html.contains("<table class=\"summary\">"),
        "the summary is a table"
    );
    assert!(!html.contains("<pre"), "no preformatted text");
    // Each round trip has its chart: its minutes as candles, an entry, an exit, and (the shipped exits) a stop.
    for number in 1..=trades.len() {
        let start = html
            .find(&format!("<figure id=\"trade-{number}\"><svg"))
            .unwrap_or_else(|| panic!("trade {number} has no chart"));
        let chart = &html[start..start + html[start..].find("</svg>").unwrap()];
        for mark in [
            "class=\"candle",
            "class=\"mark entry\"",
            "class=\"mark exit\"",
            "class=\"stop\"",
        ] {
            assert!(chart.contains(mark), "trade {number} lacks {mark}");
        }
    }
    assert!(
        !html.contains("trade-0") && !html.contains(&format!("id=\"trade-{}\"", trades.len() + 1))
    );
    the_report_renders_in_a_browser(&html_path, trades.len()).await;
}

/// What the browser lays out: every chart drawn with its size, every label inside its chart (none clipped,
/// none rotated), every trade chart with its marks on screen, and the tables as tables.
const READ_REPORT: &str = r##"
const charts = [...document.querySelectorAll("figure svg")];
const outside = [];
for (const svg of charts) {
  const box = svg.getBoundingClientRect();
  for (const text of svg.querySelectorAll("text")) {
    const r = text.getBoundingClientRect();
    if (r.width === 0 || r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
      outside.push(text.textContent);
  }
}
const trades = [...document.querySelectorAll("figure[id^='trade-'] svg")].map((svg) => ({
  width: svg.getBoundingClientRect().width,
  candles: svg.querySelectorAll(".candle").length,
  entry: svg.querySelector(".mark.entry")?.getBoundingClientRect().width ?? 0,
  exit: svg.querySelector(".mark.exit")?.getBoundingClientRect().width ?? 0,
}));
const rotated = [...document.querySelectorAll("text")].filter((t) => (t.getAttribute("transform") || "").includes("rotate")).length;
return { charts: charts.length, drawn: charts.filter((c) => c.getBoundingClientRect().height > 50).length,
  outside, trades, rotated, summary_rows: document.querySelectorAll("table.summary tr").length };
"##;

async fn the_report_renders_in_a_browser(path: &std::path::Path, trades: usize) {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    browser.open(&format!("file://{}", path.display())).await;
    let page = browser.eval(READ_REPORT).await;
    browser.screenshot("report-browser.png").await;
    browser.close().await;
    assert_eq!(page["drawn"], page["charts"], "{page}");
    assert!(
        page["charts"].as_u64().unwrap() >= 3 + trades as u64,
        "{page}"
    );
    assert_eq!(
        page["outside"],
        serde_json::json!([]),
        "labels outside their chart: {page}"
    );
    assert_eq!(page["rotated"], 0, "{page}");
    assert!(page["summary_rows"].as_u64().unwrap() >= 5, "{page}");
    let drawn = page["trades"].as_array().unwrap();
    assert_eq!(drawn.len(), trades, "{page}");
    for trade in drawn {
        assert!(trade["width"].as_f64().unwrap() > 300.0, "{trade}");
        assert!(trade["candles"].as_u64().unwrap() >= 2, "{trade}");
        assert!(
            trade["entry"].as_f64().unwrap() > 0.0 && trade["exit"].as_f64().unwrap() > 0.0,
            "{trade}"
        );
    }
}
