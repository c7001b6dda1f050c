//! The terminal's status line while `dalal run` works: one line, redrawn in place every second, with the IST
//! time, the phase, the feed, the tick rate, open positions and the day's P&L. Off a terminal (a container, a
//! pipe) the same line is logged every five minutes of market time instead, so logs stay plain.
//!
//! Log lines and the status line share stderr: `LineAwareStderr` wipes the status line before a log line is
//! written, and the next redraw puts it back under the log.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::task::JoinHandle;

use crate::calendar::{Clock, to_ist};
use crate::status::{StatusBoard, StatusSnapshot};

/// Whether a status line is drawn on the terminal now.
static DRAWN: AtomicBool = AtomicBool::new(false);
const CLEAR_LINE: &[u8] = b"\r\x1b[2K";
const LOG_EVERY: TimeDelta = TimeDelta::minutes(5);

/// stderr for log lines, clearing the status line first when one is drawn.
pub struct LineAwareStderr;

impl Write for LineAwareStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut err = std::io::stderr().lock();
        if DRAWN.swap(false, Ordering::AcqRel) {
            err.write_all(CLEAR_LINE)?;
        }
        err.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

pub fn render(status: &StatusSnapshot) -> String {
    let feed = match &status.feed_reason {
        Some(reason) => format!("{} ({reason})", status.feed_state),
        None => status.feed_state.clone(),
    };
    format!(
        "{} IST  {}  feed {feed}  {:.0} ticks/s  {} open  day P&L ₹{}  trading {}",
        to_ist(status.now).format("%a %d %b %H:%M:%S"),
        status.phase,
        status.ticks_per_second,
        status.positions.len(),
        status.day_pnl.round_dp(2),
        if status.trading_enabled { "on" } else { "off" },
    )
}

/// Draws (or logs) the status line until the returned task is aborted.
pub fn spawn(board: Arc<StatusBoard>, clock: Clock) -> JoinHandle<()> {
    let terminal = std::io::stderr().is_terminal();
    tokio::spawn(async move {
        let mut last_logged: Option<DateTime<Utc>> = None;
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticker.tick().await;
            let status = board.snapshot(clock.now());
            if terminal {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{}", render(&status));
                let _ = err.flush();
                DRAWN.store(true, Ordering::Release);
            } else if last_logged.is_none_or(|at| status.now - at >= LOG_EVERY) {
                last_logged = Some(status.now);
                tracing::info!("{}", render(&status));
            }
        }
    })
}

/// Removes a drawn status line, before the close report is printed.
pub fn clear() {
    if DRAWN.swap(false, Ordering::AcqRel) {
        let _ = std::io::stderr().write_all(CLEAR_LINE);
    }
}
