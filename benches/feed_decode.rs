//! Feed decode speed: the 250-instrument full-depth frame (goal: well under a millisecond) and a one-instrument
//! LTPC frame (goal: millions a second on one core), decoded to normalized ticks as the feed does; and HDFC Sky's
//! GenericDTOList at its 300-scrip limit (a price and a depth packet each) decoded and merged into prices.
//!
//! Run with `cargo bench --bench feed_decode`; the frames are the conformance frames in tests/vectors/upstox-v3.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dalal::broker::hdfcsky::feed_proto::{
    GenericDto, GenericDtoList, MarketDepthDto, MarketDepthDtoList, MbpData, PacketType,
};
use dalal::broker::hdfcsky::{Applied, QuoteBook, ScripId, decode_packets};
use dalal::broker::upstox::FeedFrame;
use dalal::broker::upstox::feed_proto::{Feed, FeedResponse, FeedUnion, FrameType, Ltpc};
use prost::Message;

fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/upstox-v3")
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

/// HDFC Sky's `ALL` frame for 300 scrips: a price packet and a separate depth packet per instrument.
fn sky_frame(scrips: i64) -> Vec<u8> {
    let depth = MarketDepthDtoList {
        market_depth_dto: (1..=5)
            .flat_map(|n| {
                [true, false].map(|buy| MarketDepthDto {
                    quantity: 100 * n,
                    price: if buy {
                        1570.0 - n as f64 * 0.1
                    } else {
                        1570.0 + n as f64 * 0.1
                    },
                    number_of_orders: n,
                    buy_flag: buy,
                })
            })
            .collect(),
    };
    let packets = (1..=scrips).flat_map(|token| {
        let base = GenericDto {
            instrument_id: token,
            packet_timestamp: 1_763_696_700_402,
            packet_type: PacketType::NseCmAll as i32,
            ..GenericDto::default()
        };
        [
            GenericDto {
                mbp_data: Some(MbpData {
                    last_traded_price: 1570.85,
                    last_trade_time: 1_763_696_700,
                    closing_price: 1543.2,
                    last_trade_quantity: 25,
                    volume_traded_today: 1_234_567,
                    ..MbpData::default()
                }),
                ..base.clone()
            },
            GenericDto {
                mbp_data: Some(MbpData {
                    market_depth_dto_list: Some(depth.clone()),
                    ..MbpData::default()
                }),
                ..base
            },
        ]
    });
    GenericDtoList {
        generic_dto_list: packets.collect(),
    }
    .encode_to_vec()
}

fn sky_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("hdfcsky_decode");
    let bytes = sky_frame(300);
    let scrips: Vec<ScripId> = (1..=300)
        .map(|t| format!("NSE_{t}").parse().unwrap())
        .collect();
    let mut book = QuoteBook::default();
    book.want(&scrips);
    group.throughput(Throughput::Elements(1));
    group.bench_function("all_300_scrips_with_depth", |b| {
        b.iter(|| {
            let packets = decode_packets(black_box(&bytes)).expect("a valid frame");
            let priced: Vec<ScripId> = packets
                .iter()
                .filter_map(|p| match book.apply(p) {
                    Applied::Priced(scrip) => Some(scrip),
                    _ => None,
                })
                .collect();
            priced.iter().filter_map(|s| book.price_update(s)).count()
        })
    });
    group.finish();
}

criterion_group!(benches, decode, sky_decode);
criterion_main!(benches);
