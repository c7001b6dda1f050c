//! The fetch: plan the pieces that cover what the store lacks, run them through a broker's candle API a few at a
//! time (each request still waits for room in the broker's shared rate budget, and a 429 or a 5xx is retried
//! after a doubling backoff by the client), and commit each finished piece at once, in one transaction. So an
//! interrupted fetch (Ctrl-C, a killed process, a storm of server errors) loses at most the pieces in flight,
//! and the next run plans only what is still missing. A piece that fails is reported with its error and the
//! others go on; a refused token stops the fetch, since every later piece would be refused too.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{NaiveDate, TimeDelta};
use futures_util::StreamExt;

use super::plan::{plan_pieces, trading_days};
use super::{CandleSource, HistoryError, HistoryStore, Interval, Piece};
use crate::broker::{BrokerError, ErrorClass};
use crate::calendar::{MarketCalendar, to_ist};
use crate::domain::{Candle, InstrumentId};

/// What to fetch: `instruments`' candles at `interval` from `from` to `to`, less today and after.
pub struct FetchRequest<'a> {
    pub calendar: &'a MarketCalendar,
    pub instruments: &'a [InstrumentId],
    pub interval: Interval,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Today in IST: the first day not fetched, its candles not final until the close.
    pub today: NaiveDate,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// What a fetch reports as it goes, for a progress bar or a log.
#[derive(Debug)]
pub enum FetchEvent<'a> {
    Planned {
        pieces: usize,
        days_missing: u64,
        days_present: u64,
    },
    PieceDone {
        piece: &'a Piece,
        days: u64,
        candles: u64,
    },
    PieceFailed {
        piece: &'a Piece,
        error: &'a BrokerError,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceFailure {
    pub piece: Piece,
    pub error: BrokerError,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    pub instruments: usize,
    /// The pieces planned.
    pub pieces: usize,
    pub pieces_done: usize,
    /// Days stored with candles.
    pub days_fetched: u64,
    /// Trading days the broker had no candles for, stored as fetched so they are not asked for again.
    pub empty_days: u64,
    pub candles: u64,
    /// Trading days in the range the store already held.
    pub days_present: u64,
    /// Rows the broker sent that could not be read (or a candle off its minute, or repeated).
    pub skipped_rows: u64,
    pub failures: Vec<PieceFailure>,
    /// Pieces never asked for, because the fetch stopped first.
    pub not_tried: usize,
    /// Why the fetch stopped before its last piece, when it did.
    pub stopped: Option<String>,
}

impl FetchReport {
    /// Whether every piece planned was fetched and stored.
    pub fn complete(&self) -> bool {
        self.pieces_done == self.pieces
    }
}

/// Fetches what `store` lacks of `request` from `source`, until done or until `stop` completes; `observe` hears
/// of the plan and of each piece.
pub async fn fetch_history<S: CandleSource>(
    source: &S,
    store: &mut HistoryStore,
    request: &FetchRequest<'_>,
    stop: impl Future<Output = ()>,
    mut observe: impl FnMut(FetchEvent<'_>),
) -> Result<FetchReport, HistoryError> {
    let interval = request.interval;
    let last = request.to.min(request.today - TimeDelta::days(1));
    let trading = if request.from <= last {
        trading_days(request.calendar, request.from, last)
    } else {
        Vec::new()
    };
    let mut report = FetchReport {
        instruments: request.instruments.len(),
        ..FetchReport::default()
    };
    let mut pieces = Vec::new();
    for id in request.instruments {
        let missing = store.missing_days(id, interval, &trading)?;
        report.days_present += (trading.len() - missing.len()) as u64;
        pieces.extend(plan_pieces(
            id,
            interval,
            &trading,
            &missing,
            source.cap(interval),
        ));
    }
    report.pieces = pieces.len();
    observe(FetchEvent::Planned {
        pieces: pieces.len(),
        days_missing: pieces.iter().map(|p| p.days.len() as u64).sum(),
        days_present: report.days_present,
    });
    let mut answers = futures_util::stream::iter(&pieces)
        .map(|piece| async move {
            let answer = source
                .candles(&piece.instrument, interval, piece.from, piece.to)
                .await;
            (piece, answer)
        })
        .buffer_unordered(request.concurrency.max(1));
    let mut stop = std::pin::pin!(stop);
    loop {
        let next = tokio::select! {
            biased;
            () = &mut stop => {
                report.stopped = Some("interrupted".into());
                break;
            }
            next = answers.next() => next,
        };
        let Some((piece, answer)) = next else {
            break;
        };
        report.skipped_rows += source.take_skipped_rows() as u64;
        match answer {
            Ok(candles) => {
                let stored = commit(store, piece, candles)?;
                report.pieces_done += 1;
                report.days_fetched += stored.days;
                report.empty_days += stored.empty_days;
                report.candles += stored.candles;
                report.skipped_rows += stored.skipped;
                observe(FetchEvent::PieceDone {
                    piece,
                    days: stored.days,
                    candles: stored.candles,
                });
            }
            Err(error) => {
                observe(FetchEvent::PieceFailed {
                    piece,
                    error: &error,
                });
                let refused = error.class == ErrorClass::Auth;
                report.failures.push(PieceFailure {
                    piece: piece.clone(),
                    error,
                });
                if refused {
                    report.stopped = Some(
                        "the broker refused the token: log in again, then run the same command to resume"
                            .into(),
                    );
                    break;
                }
            }
        }
    }
    report.not_tried = report.pieces - report.pieces_done - report.failures.len();
    Ok(report)
}

/// What one piece put in the store.
struct Stored {
    days: u64,
    empty_days: u64,
    candles: u64,
    skipped: u64,
}

/// Stores a piece's answer in one transaction: each of its days with its candles, or as fetched and empty. A
/// candle outside the piece's days is left out; one off its minute, or a second one for the same minute, is
/// counted as skipped.
fn commit(
    store: &mut HistoryStore,
    piece: &Piece,
    candles: Vec<Candle>,
) -> Result<Stored, HistoryError> {
    let mut by_day: BTreeMap<NaiveDate, Vec<Candle>> =
        piece.days.iter().map(|d| (*d, Vec::new())).collect();
    let mut skipped = 0;
    for candle in candles {
        let day = to_ist(candle.start).date_naive();
        if !(piece.from..=piece.to).contains(&day) {
            continue;
        }
        if candle.start.timestamp() % 60 != 0 {
            tracing::warn!(%piece, start = %candle.start, "a candle off its minute was skipped");
            skipped += 1;
            continue;
        }
        by_day.entry(day).or_default().push(candle);
    }
    for candles in by_day.values_mut() {
        let before = candles.len();
        candles.sort_by_key(|c| c.start);
        candles.dedup_by_key(|c| c.start);
        skipped += (before - candles.len()) as u64;
    }
    let days: Vec<(NaiveDate, &[Candle])> =
        by_day.iter().map(|(d, c)| (*d, c.as_slice())).collect();
    store.put_days(&piece.instrument, piece.interval, &days)?;
    let with_candles = by_day.values().filter(|c| !c.is_empty()).count() as u64;
    Ok(Stored {
        days: with_candles,
        empty_days: by_day.len() as u64 - with_candles,
        candles: by_day.values().map(|c| c.len() as u64).sum(),
        skipped,
    })
}
