//! The simulator's two historical candle APIs on past days, through dalal's clients and raw requests: the same
//! candles both ways (minutes and days), Upstox's newest first and HDFC Sky's unsorted, each API's range cap with
//! its own error, no candles on a holiday, and a 429 backed off and retried.

use dalal::broker::upstox::RestSettings;
use dalal::domain::{CandleInterval, InstrumentId};
use dalal::sim::MarketHistory;

use crate::support::{SIM_TOKEN, SimHarness, date, ist, scenario_with, shipped_calendar};

const RELIANCE_KEY: &str = "NSE_EQ|INE002A01018";

fn reliance() -> InstrumentId {
    "NSE:RELIANCE".parse().unwrap()
}

async fn simulator(faults: &str) -> SimHarness {
    SimHarness::start(scenario_with(faults), ist(2026, 3, 2, 10, 0, 0), 1.0).await
}

/// A raw Upstox GET of `path`: the status and the JSON body.
async fn upstox_get(sim: &SimHarness, path: &str) -> (u16, serde_json::Value) {
    let answer = reqwest::Client::new()
        .get(sim.server.base_url().join(path).unwrap())
        .bearer_auth(SIM_TOKEN)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_apis_serve_the_same_past_candles_upstox_newest_first_hdfc_sky_unsorted() {
    let sim = simulator("").await;
    let (from, to) = (date(2026, 1, 12), date(2026, 1, 30));
    let upstox = sim.rest(SIM_TOKEN);
    let sky = sim.sky_rest(SIM_TOKEN);
    let scenario = scenario_with("");
    let history = MarketHistory::new(scenario.instruments, scenario.seed, shipped_calendar());
    for interval in [CandleInterval::Minute, CandleInterval::Day] {
        let through_upstox = upstox
            .historical_candles(RELIANCE_KEY, interval, from, to)
            .await
            .unwrap();
        let through_sky = sky
            .chart_candles(&reliance(), interval, from, to)
            .await
            .unwrap();
        assert_eq!(
            through_upstox, through_sky,
            "{interval}: the same candles both ways"
        );
        let days = dalal::history::trading_days(&shipped_calendar(), from, to);
        let own: Vec<_> = match interval {
            CandleInterval::Minute => days.iter().flat_map(|d| history.minutes(0, *d)).collect(),
            CandleInterval::Day => days.iter().filter_map(|d| history.day(0, *d)).collect(),
        };
        assert_eq!(through_upstox, own, "{interval}: the simulator's own");
        assert_eq!(
            own.len(),
            if interval == CandleInterval::Day {
                13
            } else {
                13 * 375
            }
        );
    }

    let path = "/v3/historical-candle/NSE_EQ%7CINE002A01018/minutes/1/2026-01-14/2026-01-13";
    let (status, body) = upstox_get(&sim, path).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["data"]["candles"].as_array().unwrap();
    assert_eq!(rows.len(), 750);
    assert_eq!(rows[0][0], "2026-01-14T15:29:00+05:30", "newest first");
    assert_eq!(rows[749][0], "2026-01-13T09:15:00+05:30");
    let sky_rows = sim
        .sky_data(
            "/oapi/charts-api/charts/v1/fetch-candle",
            &[
                ("symbol", "RELIANCE"),
                ("exchange", "NSE"),
                ("chartType", "MINUTE"),
                ("seriesType", "EQ"),
                ("start", "2026-01-13"),
                ("end", "2026-01-14"),
            ],
        )
        .await;
    let times: Vec<&str> = sky_rows["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[6].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 750);
    assert!(
        times.windows(2).any(|w| w[0] > w[1]),
        "HDFC Sky's rows come unsorted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_api_refuses_a_range_past_its_cap_and_has_nothing_on_a_holiday() {
    let sim = simulator("").await;
    let (status, body) = upstox_get(
        &sim,
        "/v3/historical-candle/NSE_EQ%7CINE002A01018/minutes/1/2026-02-15/2026-01-01",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["errorCode"], "UDAPI1148", "{body}");
    let (status, _) = upstox_get(
        &sim,
        "/v3/historical-candle/NSE_EQ%7CINE002A01018/days/1/2026-02-15/2026-01-01",
    )
    .await;
    assert_eq!(status, 200, "days reach back further than a month");
    let query = |chart: &'static str, start: &'static str, end: &'static str| {
        [
            ("symbol", "RELIANCE"),
            ("exchange", "NSE"),
            ("chartType", chart),
            ("seriesType", "EQ"),
            ("start", start),
            ("end", end),
        ]
    };
    let path = "/oapi/charts-api/charts/v1/fetch-candle";
    let (status, body) = sim
        .sky_get(
            path,
            &query("MINUTE", "2026-01-01", "2026-02-10"),
            SIM_TOKEN,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Allowed Date range exceeded");
    let (status, _) = sim
        .sky_get(path, &query("DAY", "2026-01-01", "2026-02-10"), SIM_TOKEN)
        .await;
    assert_eq!(status, 200, "days reach further than 31 days");

    let holiday = sim
        .rest(SIM_TOKEN)
        .historical_candles(
            RELIANCE_KEY,
            CandleInterval::Minute,
            date(2026, 1, 26),
            date(2026, 1, 26),
        )
        .await
        .unwrap();
    assert!(holiday.is_empty(), "Republic Day");
    let sunday = sim
        .sky_data(path, &query("MINUTE", "2026-01-25", "2026-01-25"))
        .await;
    assert_eq!(sunday["candles"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_backed_off_and_the_request_retried() {
    let sim = simulator("[[fault]]\nkind = \"history_429\"\nfrom = \"00:00\"\nattempts = 2").await;
    let started = std::time::Instant::now();
    let candles = sim
        .rest_with(SIM_TOKEN, RestSettings::default())
        .historical_candles(
            RELIANCE_KEY,
            CandleInterval::Day,
            date(2026, 1, 12),
            date(2026, 1, 16),
        )
        .await
        .unwrap();
    assert_eq!(candles.len(), 4, "15 Jan was a holiday");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(750),
        "250 ms, then 500 ms"
    );
    assert_eq!(
        sim.server.history_served().len(),
        1,
        "served once, after two refusals"
    );
}
