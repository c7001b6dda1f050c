//! Feed decode speed: the 250-instrument full-depth frame (goal: well under a millisecond) and a one-instrument
//! LTPC frame (goal: millions a second on one core), decoded to normalized ticks as the feed does.
//!
//! Run with `cargo bench --bench feed_decode`; the frames are the shared conformance vectors.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dalal::broker::upstox::FeedFrame;
use dalal::broker::upstox::feed_proto::{Feed, FeedResponse, FeedUnion, FrameType, Ltpc};
use prost::Message;

fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/upstox-v3")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A live LTPC frame for one instrument, as the feed sends for each trade.
fn single_ltpc_frame() -> Vec<u8> {
    let feed = Feed {
        feed_union: Some(FeedUnion::Ltpc(Ltpc {
            ltp: 1570.85,
            ltt: 1_763_696_700_165,
            ltq: 25,
            cp: 1543.2,
            iep: None,
        })),
        request_mode: 0,
    };
    FeedResponse {
        frame_type: FrameType::LiveFeed as i32,
        feeds: [("NSE_EQ|INE002A01018".to_string(), feed)]
            .into_iter()
            .collect(),
        current_ts: 1_763_696_700_402,
        market_info: None,
    }
    .encode_to_vec()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("upstox_v3_decode");
    for (name, bytes) in [
        (
            "full_depth_250_instruments",
            vector("09_live_full_many.bin"),
        ),
        ("ltpc_single_instrument", single_ltpc_frame()),
    ] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| FeedFrame::decode(black_box(&bytes)).expect("a valid frame"))
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
