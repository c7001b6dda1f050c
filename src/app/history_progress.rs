//! What `dalal history fetch` shows while it works: a progress bar of pieces done of the total on a terminal
//! (indicatif, failures printed above it), plain lines on stderr otherwise (a log file, CI, a test), and the
//! summary on stdout at the end.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::history::{FetchEvent, FetchReport};

/// Shows a fetch's progress: a bar on a terminal, lines elsewhere.
pub struct FetchProgress {
    bar: Option<ProgressBar>,
    done: usize,
    total: usize,
}

impl FetchProgress {
    pub fn new() -> Self {
        FetchProgress {
            bar: None,
            done: 0,
            total: 0,
        }
    }

    pub fn on_event(&mut self, event: FetchEvent<'_>) {
        match event {
            FetchEvent::Planned {
                pieces,
                days_missing,
                days_present,
            } => {
                self.total = pieces;
                eprintln!(
                    "history: {pieces} pieces to fetch ({days_missing} trading days missing, {days_present} already \
                     stored)"
                );
                if std::io::stderr().is_terminal() && pieces > 0 {
                    let bar = ProgressBar::new(pieces as u64);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} pieces, ETA {eta}  {msg}",
                        )
                        .expect("a valid template"),
                    );
                    bar.enable_steady_tick(Duration::from_millis(200));
                    self.bar = Some(bar);
                }
            }
            FetchEvent::PieceDone {
                piece,
                days,
                candles,
            } => {
                self.done += 1;
                let line = format!("{piece}: {days} days, {candles} candles");
                self.show(line, false);
            }
            FetchEvent::PieceFailed { piece, error } => {
                self.done += 1;
                self.show(format!("{piece}: FAILED: {error}"), true);
            }
        }
    }

    fn show(&self, line: String, failed: bool) {
        match &self.bar {
            Some(bar) => {
                if failed {
                    bar.println(line);
                } else {
                    bar.set_message(line);
                }
                bar.inc(1);
            }
            None => eprintln!(
                "[{:>width$}/{}] {line}",
                self.done,
                self.total,
                width = digits(self.total)
            ),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

/// The fetch's summary, as printed at the end.
pub fn summary(report: &FetchReport, heading: &str, store: &str, took: Duration) -> String {
    let mut out = format!("{heading}\n");
    out += &format!(
        "  fetched    {} of {} pieces: {} days, {} candles ({} trading days had none)\n",
        report.pieces_done, report.pieces, report.days_fetched, report.candles, report.empty_days
    );
    out += &format!(
        "  present    {} days were already in the store\n",
        report.days_present
    );
    out += &format!(
        "  skipped    {} rows the broker sent could not be read\n",
        report.skipped_rows
    );
    out += &format!("  store      {store}\n");
    out += &format!("  took       {:.1} s\n", took.as_secs_f64());
    if !report.failures.is_empty() {
        out += &format!(
            "  FAILED     {} pieces (run the same command again to fetch them):\n",
            report.failures.len()
        );
        for failure in &report.failures {
            out += &format!("    {}: {}\n", failure.piece, failure.error);
        }
    }
    if let Some(why) = &report.stopped {
        out += &format!(
            "  stopped    {why}: {} pieces not asked for; run the same command again to resume\n",
            report.not_tried
        );
    }
    out
}
