//! Engine speed: ticks through strategy, risk and the stop monitor with 200 instruments and 20 open positions,
//! and the p99 tick-to-commands latency (printed after criterion's figures).
//!
//! Run with `cargo bench --bench engine`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dalal::calendar::{CalendarData, MarketCalendar, ist_instant};
use dalal::config::{RiskLimits, SessionCutoffs, StrategyConfig};
use dalal::domain::{
    Exchange, Fill, Instrument, InstrumentId, Segment, Tick, TickSize, TickSource,
};
use dalal::engine::{Command, Engine, EngineEvent};
use rust_decimal::Decimal;

const INSTRUMENTS: usize = 200;
const OPEN_POSITIONS: usize = 20;

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    ist_instant(
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        NaiveTime::from_hms_opt(h, m, s).unwrap(),
    )
}

fn id(i: usize) -> InstrumentId {
    InstrumentId::new(Exchange::Nse, &format!("SYM{i}")).unwrap()
}

fn tick(i: usize, price: Decimal, time: DateTime<Utc>) -> EngineEvent {
    EngineEvent::Tick(Tick {
        instrument: id(i),
        last_price: price,
        last_trade_time: Some(time),
        last_quantity: Some(10),
        previous_close: Some(Decimal::from(1000)),
        source: TickSource::Stream,
        received_at: time,
    })
}

/// An engine at 09:31 with `OPEN_POSITIONS` filled entries among `INSTRUMENTS` armed setups.
fn engine_mid_session() -> Engine {
    let strategy: StrategyConfig = toml::from_str(include_str!("../strategies/continuation.toml"))
        .expect("the shipped strategy");
    let instruments = (0..INSTRUMENTS)
        .map(|i| Instrument {
            id: id(i),
            segment: Segment::Equity,
            isin: None,
            upstox_key: None,
            hdfcsky_token: None,
            tick_size: Some(TickSize::new(Decimal::new(1, 1)).unwrap()),
            lot_size: 1,
            has_derivatives: false,
        })
        .collect();
    let limits = RiskLimits {
        max_open_positions: 100,
        max_capital_deployed: Decimal::from(100_000_000),
        max_daily_loss: Decimal::from(1_000_000),
        ..RiskLimits::default()
    };
    let mut engine = Engine::new(
        MarketCalendar::new(CalendarData::default()),
        strategy,
        limits,
        SessionCutoffs::default(),
        instruments,
    );
    engine.on_event(EngineEvent::TradingEnabled(true));
    for i in 0..INSTRUMENTS {
        engine.on_event(tick(i, Decimal::from(1012), at(9, 15, 0)));
        engine.on_event(tick(i, Decimal::from(1008), at(9, 20, 0)));
        engine.on_event(tick(i, Decimal::from(1015), at(9, 25, 0)));
    }
    for i in 0..OPEN_POSITIONS {
        let commands = engine.on_event(tick(i, Decimal::from(1016), at(9, 30, 1)));
        for command in commands {
            if let Command::Place(order) = command {
                let request = order.request();
                engine.on_event(EngineEvent::Fill(Fill {
                    order_id: format!("{i}"),
                    tag: Some(request.tag.clone()),
                    instrument: request.instrument.clone(),
                    side: request.side,
                    quantity: request.quantity,
                    price: Decimal::from(1016),
                    time: at(9, 30, 2),
                }));
            }
        }
    }
    engine
}

/// Prices that move inside every range and stop, so the measured path is the common one: no new orders.
fn ticks(count: usize) -> Vec<EngineEvent> {
    let start = at(9, 31, 0);
    (0..count)
        .map(|n| {
            let i = n % INSTRUMENTS;
            let price = Decimal::from(1010) + Decimal::new((n % 40) as i64, 1);
            tick(i, price, start + TimeDelta::milliseconds(n as i64))
        })
        .collect()
}

fn engine_ticks(c: &mut Criterion) {
    let events = ticks(100_000);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("ticks_200_instruments_20_open", |b| {
        b.iter_batched(
            engine_mid_session,
            |mut engine| {
                for event in &events {
                    black_box(engine.on_event(event.clone()));
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut engine = engine_mid_session();
    let mut latencies: Vec<u128> = events
        .iter()
        .map(|event| {
            let event = event.clone();
            let started = Instant::now();
            black_box(engine.on_event(event));
            started.elapsed().as_nanos()
        })
        .collect();
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "engine tick → commands latency over {} ticks: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        latencies.len(),
        pick(0.50),
        pick(0.99),
        pick(0.999),
        latencies[latencies.len() - 1]
    );
}

criterion_group!(benches, engine_ticks);
criterion_main!(benches);
