//! `/metrics` in the Prometheus text exposition format. Written out directly: a dozen series of three shapes
//! (counter, gauge, histogram) do not need a metrics registry, and the numbers come from one snapshot.

use std::fmt::Write;

use super::board::{LATENCY_BUCKETS, StatusSnapshot};

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub fn render(status: &StatusSnapshot) -> String {
    let mut out = String::new();
    let feed = &status.feed;
    family(
        &mut out,
        "dalal_ticks_total",
        "counter",
        "Prices delivered to the engine, by source.",
    );
    let _ = writeln!(
        out,
        "dalal_ticks_total{{source=\"stream\"}} {}",
        feed.stream_ticks
    );
    let _ = writeln!(
        out,
        "dalal_ticks_total{{source=\"poll\"}} {}",
        feed.poll_ticks
    );
    family(
        &mut out,
        "dalal_feed_state_seconds_total",
        "counter",
        "Seconds the feed spent in each state.",
    );
    for (state, seconds) in &feed.seconds_in_state {
        let _ = writeln!(
            out,
            "dalal_feed_state_seconds_total{{state=\"{state}\"}} {seconds:.3}"
        );
    }
    for (name, help, value) in [
        (
            "dalal_feed_reconnects_total",
            "WebSocket reconnects.",
            feed.reconnects,
        ),
        (
            "dalal_feed_polls_total",
            "LTP polling requests.",
            feed.polls,
        ),
        (
            "dalal_feed_rate_limited_total",
            "Requests answered 429.",
            feed.rate_limited,
        ),
        (
            "dalal_feed_bad_frames_total",
            "Feed frames that could not be decoded.",
            feed.bad_frames,
        ),
        (
            "dalal_feed_future_trade_times_total",
            "Streamed trade times too far ahead of their receipt to be true; the prices went on without them.",
            feed.future_trade_times,
        ),
    ] {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {value}");
    }
    family(
        &mut out,
        "dalal_order_round_trip_seconds",
        "histogram",
        "Time from sending an order to the broker's answer.",
    );
    let histogram = &status.order_latency;
    let mut cumulative = 0;
    for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.counts) {
        cumulative += count;
        let _ = writeln!(
            out,
            "dalal_order_round_trip_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
        );
    }
    let total: u64 = histogram.counts.iter().sum();
    let _ = writeln!(
        out,
        "dalal_order_round_trip_seconds_bucket{{le=\"+Inf\"}} {total}"
    );
    let _ = writeln!(
        out,
        "dalal_order_round_trip_seconds_sum {:.6}",
        histogram.sum_seconds
    );
    let _ = writeln!(out, "dalal_order_round_trip_seconds_count {total}");
    family(
        &mut out,
        "dalal_bad_prices_total",
        "counter",
        "Prices dropped before the engine as impossible: not_positive, orders_of_magnitude, beyond_band.",
    );
    for (reason, count) in &feed.bad_prices {
        let _ = writeln!(out, "dalal_bad_prices_total{{reason=\"{reason}\"}} {count}");
    }
    family(
        &mut out,
        "dalal_errors_total",
        "counter",
        "Errors by class.",
    );
    for (class, count) in &status.errors {
        let _ = writeln!(out, "dalal_errors_total{{class=\"{class}\"}} {count}");
    }
    // Resets each trading day, so a gauge rather than a counter.
    family(
        &mut out,
        "dalal_orders_today",
        "gauge",
        "Orders sent today.",
    );
    let _ = writeln!(out, "dalal_orders_today {}", status.orders_today);
    family(
        &mut out,
        "dalal_open_positions",
        "gauge",
        "Instruments with an open position.",
    );
    let _ = writeln!(out, "dalal_open_positions {}", status.positions.len());
    family(
        &mut out,
        "dalal_day_pnl_rupees",
        "gauge",
        "Realized plus unrealized P&L of the day.",
    );
    let _ = writeln!(out, "dalal_day_pnl_rupees {}", status.day_pnl);
    family(
        &mut out,
        "dalal_healthy",
        "gauge",
        "1 while /health answers 200.",
    );
    let _ = writeln!(out, "dalal_healthy {}", u8::from(status.healthy));
    out
}
