//! Conformance of the Upstox V3 feed decoder with the frames in `tests/vectors/upstox-v3/`, which
//! `tests/vectors/generate_upstox_v3.py` makes with the official SDK's schema: the normalized view equals
//! `NAME.ticks.json`, prices are the printed decimals, and nothing `NAME.json` shows is lost.

use std::fs;
use std::path::PathBuf;
use std::str::FromStr;

use dalal::broker::upstox::{FeedFrame, FrameKind};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::{json_difference, repo_root};

fn vectors_dir() -> PathBuf {
    repo_root().join("tests/vectors/upstox-v3")
}

/// Every case name (`01_market_info`, …), in order.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(vectors_dir())
        .expect("tests/vectors/upstox-v3 (python3 tests/vectors/generate_upstox_v3.py writes it)")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".bin").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 9,
        "expected the nine conformance cases, found {names:?}"
    );
    names
}

fn read_json(name: &str) -> Value {
    serde_json::from_slice(&fs::read(vectors_dir().join(name)).unwrap()).unwrap()
}

#[test]
fn every_frame_decodes_to_its_normalized_view() {
    for case in cases() {
        let bytes = fs::read(vectors_dir().join(format!("{case}.bin"))).unwrap();
        let (frame, _) = FeedFrame::decode(&bytes).unwrap_or_else(|e| panic!("{case}: {e}"));
        let expected = read_json(&format!("{case}.ticks.json"));
        assert_eq!(json_difference(&frame.view(), &expected), None, "{case}");
        assert!(frame.invalid_prices.is_empty(), "{case}");
    }
}

#[test]
fn prices_are_the_decimals_the_broker_printed() {
    for case in cases() {
        let bytes = fs::read(vectors_dir().join(format!("{case}.bin"))).unwrap();
        let (frame, _) = FeedFrame::decode(&bytes).unwrap();
        let expected = read_json(&format!("{case}.ticks.json"));
        let rows = expected["ticks"].as_array().unwrap();
        assert_eq!(frame.ticks.len(), rows.len(), "{case}");
        for (tick, row) in frame.ticks.iter().zip(rows) {
            let printed = |field: &str| Decimal::from_str(&row[field].to_string()).unwrap();
            assert_eq!(tick.ltp, printed("ltp"), "{case} {}", tick.instrument_key);
            assert_eq!(
                tick.cp,
                Some(printed("cp")),
                "{case} {}",
                tick.instrument_key
            );
            assert!(
                tick.ltp.scale() <= 2,
                "{case}: {} is not a printed price",
                tick.ltp
            );
        }
    }
}

#[test]
fn decoding_loses_nothing_the_official_sdk_shows() {
    for case in cases() {
        let bytes = fs::read(vectors_dir().join(format!("{case}.bin"))).unwrap();
        let (_, response) = FeedFrame::decode(&bytes).unwrap();
        let ours = serde_json::to_value(&response).unwrap();
        let expected = read_json(&format!("{case}.json"));
        assert_eq!(json_difference(&ours, &expected), None, "{case}");
    }
}

#[test]
fn frame_kinds_follow_the_wire_including_the_absent_initial_type() {
    let kind = |case: &str| {
        let bytes = fs::read(vectors_dir().join(format!("{case}.bin"))).unwrap();
        FeedFrame::decode(&bytes).unwrap().0.kind
    };
    assert_eq!(kind("01_market_info"), FrameKind::MarketInfo);
    assert_eq!(kind("02_initial_ltpc"), FrameKind::InitialFeed);
    assert_eq!(kind("03_live_ltpc"), FrameKind::LiveFeed);
    assert_eq!(kind("08_empty"), FrameKind::InitialFeed);
}

#[test]
fn bad_bytes_are_an_error_never_a_panic() {
    let good = fs::read(vectors_dir().join("04_initial_full_equity.bin")).unwrap();
    let mut errors = 0;
    for len in 0..good.len() {
        if FeedFrame::decode(&good[..len]).is_err() {
            errors += 1;
        }
    }
    assert!(
        errors > good.len() / 2,
        "most truncations must be refused, {errors} of {} were",
        good.len()
    );
    for garbage in [
        &b"\xff\xff\xff\xff"[..],
        b"{\"guid\":\"x\"}",
        &[0x12, 0x7f, 0x00],
    ] {
        let err = FeedFrame::decode(garbage).unwrap_err();
        assert!(
            err.to_string().contains("not a Market Data Feed V3 frame"),
            "{err}"
        );
    }
}
