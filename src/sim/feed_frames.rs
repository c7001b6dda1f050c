//! Protobuf frames of the simulated V3 feed, built from the market's quotes: `market_info` on connect, an
//! `initial_feed` snapshot after each subscription, `live_feed` updates for what changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prost::Message;

use super::faults::StreamReport;
use super::market::{InstrumentSpec, Market, Quote};
use super::market_depth::{average_trade_price, depth, total_buy_quantity, total_sell_quantity};
use crate::broker::upstox::FeedMode;
use crate::broker::upstox::feed_proto::{
    Feed, FeedResponse, FeedUnion, FrameType, FullFeed, FullFeedUnion, IndexFullFeed, Ltpc,
    MarketFullFeed, MarketInfo, MarketLevel, MarketOhlc, MarketStatus, Ohlc, OptionGreeks,
    Quote as DepthQuote, RequestMode,
};
use crate::calendar::{EquityClass, Phase, ist_instant, to_ist};
use crate::domain::decimal_to_wire as wire;

pub fn market_info(market: &Market, now: DateTime<Utc>) -> Vec<u8> {
    let status = match market.calendar().phase_at(now, EquityClass::CashOnly) {
        Phase::PreOpenOrderEntry => MarketStatus::PreOpenStart,
        Phase::PreOpenMatching => MarketStatus::PreOpenEnd,
        Phase::Continuous => MarketStatus::NormalOpen,
        Phase::ClosingAuction | Phase::Closing | Phase::PostClose => MarketStatus::ClosingStart,
        _ => MarketStatus::NormalClose,
    } as i32;
    let segment_status = [
        "NSE_EQ",
        "NSE_FO",
        "NSE_INDEX",
        "BSE_EQ",
        "BSE_FO",
        "BSE_INDEX",
    ]
    .into_iter()
    .map(|s| (s.to_string(), status))
    .collect();
    FeedResponse {
        frame_type: FrameType::MarketInfo as i32,
        feeds: BTreeMap::new(),
        current_ts: now.timestamp_millis(),
        market_info: Some(MarketInfo {
            segment_status,
            ..MarketInfo::default()
        }),
    }
    .encode_to_vec()
}

/// A frame with the feeds of `subscriptions` (index into the market, mode); `None` when there is nothing to send.
pub fn feeds(
    market: &Market,
    subscriptions: &[(usize, FeedMode)],
    frame_type: FrameType,
    now: DateTime<Utc>,
    times: StreamReport,
) -> Option<Vec<u8>> {
    if subscriptions.is_empty() {
        return None;
    }
    let feeds = subscriptions
        .iter()
        .map(|&(i, mode)| {
            let (spec, quote) = market.get(i);
            (spec.key.clone(), feed(spec, quote, mode, now, times))
        })
        .collect();
    Some(
        FeedResponse {
            frame_type: frame_type as i32,
            feeds,
            current_ts: now.timestamp_millis(),
            market_info: None,
        }
        .encode_to_vec(),
    )
}

fn ltpc(quote: &Quote, times: StreamReport) -> Ltpc {
    Ltpc {
        ltp: wire(times.price(quote.ltp)),
        ltt: times.report(quote.ltt_ms),
        ltq: quote.ltq,
        cp: wire(quote.cp),
        iep: None,
    }
}

fn feed(
    spec: &InstrumentSpec,
    quote: &Quote,
    mode: FeedMode,
    now: DateTime<Utc>,
    times: StreamReport,
) -> Feed {
    match mode {
        FeedMode::Ltpc => Feed {
            feed_union: Some(FeedUnion::Ltpc(ltpc(quote, times))),
            request_mode: RequestMode::Ltpc as i32,
        },
        // Option greeks and 30-level depth are for derivatives and Upstox Plus; cash equities get full depth.
        FeedMode::Full | FeedMode::OptionGreeks | FeedMode::FullD30 => Feed {
            feed_union: Some(FeedUnion::FullFeed(full_feed(spec, quote, now, times))),
            request_mode: RequestMode::FullD5 as i32,
        },
    }
}

fn full_feed(
    spec: &InstrumentSpec,
    quote: &Quote,
    now: DateTime<Utc>,
    times: StreamReport,
) -> FullFeed {
    let day_start =
        ist_instant(to_ist(now).date_naive(), chrono::NaiveTime::MIN).timestamp_millis();
    let minute_start = now.timestamp_millis() / 60_000 * 60_000 - 60_000;
    let candle = |interval: &str, ts: i64| Ohlc {
        interval: interval.into(),
        open: wire(quote.open),
        high: wire(quote.high),
        low: wire(quote.low),
        close: wire(quote.ltp),
        vol: if spec.index { 0 } else { quote.volume },
        ts,
    };
    let market_ohlc = Some(MarketOhlc {
        ohlc: vec![candle("1d", day_start), candle("I1", minute_start)],
    });
    if spec.index {
        return FullFeed {
            full_feed_union: Some(FullFeedUnion::IndexFf(IndexFullFeed {
                ltpc: Some(ltpc(quote, times)),
                market_ohlc,
            })),
        };
    }
    let levels = depth(spec, quote)
        .into_iter()
        .map(|level| DepthQuote {
            bid_q: level.bid_quantity,
            bid_p: wire(level.bid_price),
            ask_q: level.ask_quantity,
            ask_p: wire(level.ask_price),
        })
        .collect();
    FullFeed {
        full_feed_union: Some(FullFeedUnion::MarketFf(MarketFullFeed {
            ltpc: Some(ltpc(quote, times)),
            market_level: Some(MarketLevel {
                bid_ask_quote: levels,
            }),
            option_greeks: Some(OptionGreeks::default()),
            market_ohlc,
            atp: wire(average_trade_price(spec, quote)),
            vtt: quote.volume,
            tbq: total_buy_quantity(quote) as f64,
            tsq: total_sell_quantity(quote) as f64,
            ..MarketFullFeed::default()
        })),
    }
}
