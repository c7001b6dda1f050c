//! The market-hours day, on its own: sleep until the next trading day's pre-open, check everything, trade the
//! continuous session, square off at the flat time, stop the feed at the close, reconcile, write the close
//! report, and sleep again. Driven by the injected clock and the NSE calendar, so a simulated week runs in
//! minutes and a test can start it on a Friday evening.
//!
//! A stop request (SIGTERM, Ctrl-C) ends it cleanly at any point: while asleep at once; in a session after
//! pending entries are cancelled (and positions closed, if configured) and the journal is flushed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use tokio::sync::{mpsc, watch};

use super::calendar_sync::sync_calendar;
use super::day_book::SessionSummary;
use super::late_start;
use super::pre_open::{self, CheckResult};
use super::reconcile::Reconciled;
use super::trading_session::TradingSession;
use crate::broker::{AccountBroker, FeedBroker, OrderBroker};
use crate::calendar::{Clock, DayPlan, EquityClass, MarketCalendar, ist_instant, to_ist};
use crate::config::{Config, broker_calendar_path};
use crate::domain::{InstrumentId, Product};
use crate::engine::{Engine, EngineEvent};
use crate::execution::{Executor, PaperBroker};
use crate::feed::{FailoverFeed, FeedTimings};
use crate::journal::{EngineInput, Journal, JournalEntry, Recorder, recording_path};
use crate::status::{ControlInbox, StatusBoard};

mod restart;

/// How often failed pre-open checks are tried again, in market time.
const CHECK_RETRY: Duration = Duration::from_secs(60);
/// The same once the session is open: a restart mid-session may have positions that nothing watches until the
/// checks pass (the soak met a 69 s gap when a 429 burst failed the price check of a restart).
const CHECK_RETRY_IN_SESSION: Duration = Duration::from_secs(5);
/// How long an order submit may take before it is treated as ambiguous.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(5);
const FEED_CHANNEL: usize = 4096;
/// The broker behind each part of the day. In paper mode `orders` is the paper broker and `paper` is it too.
pub struct RunnerBrokers<F, O, A> {
    pub feed: Arc<F>,
    pub orders: Arc<O>,
    pub account: Arc<A>,
    pub paper: Option<Arc<PaperBroker>>,
    /// The broker's instrument key of each instrument in the universe.
    pub keys: HashMap<String, InstrumentId>,
}

pub struct RunnerOptions {
    /// Stop after this many trading days; run until stopped when `None`.
    pub days: Option<u32>,
    /// Re-read and re-check the config files here before each open; `None` keeps the config given.
    pub config_path: Option<PathBuf>,
    /// The journal the runner writes through its `Journal`, read back for reconciliation.
    pub journal_path: PathBuf,
}

/// One trading day, as the close report tells it.
#[derive(Debug, Clone)]
pub struct DayReport {
    pub date: NaiveDate,
    pub checks: Vec<CheckResult>,
    /// Whether new entries were allowed when the session began; a price check that failed then may pass later
    /// and turn them on (the journal holds both checks).
    pub trading_enabled: bool,
    pub session: SessionSummary,
    pub seconds_streaming: u64,
    pub seconds_polling: u64,
    pub stream_ticks: u64,
    pub poll_ticks: u64,
    pub stopped_early: bool,
    /// The intraday positions the broker held in the universe at the close (`NSE:SYMBOL quantity`); `None` in
    /// paper mode, after a stop, or when the broker could not be read.
    pub broker_open: Option<Vec<String>>,
}

pub struct DayRunner<F, O, A> {
    config: Config,
    clock: Clock,
    brokers: RunnerBrokers<F, O, A>,
    journal: Journal,
    status: Arc<StatusBoard>,
    options: RunnerOptions,
    stop: watch::Receiver<bool>,
    /// The operator's pause, kill and flatten (`status::controls`).
    controls: ControlInbox,
}

/// The day a runner started at `now` trades next: today while its session has not closed, else the next one.
pub fn next_session_day(calendar: &MarketCalendar, now: DateTime<Utc>) -> Option<NaiveDate> {
    if let DayPlan::Open(plan) = calendar.plan_at(now) {
        if now < ist_instant(plan.date, plan.times.close) {
            return Some(plan.date);
        }
    }
    calendar.next_open_after(now).map(|open| open.plan.date)
}

impl<F: FeedBroker, O: OrderBroker, A: AccountBroker> DayRunner<F, O, A> {
    pub fn new(
        config: Config,
        clock: Clock,
        brokers: RunnerBrokers<F, O, A>,
        journal: Journal,
        status: Arc<StatusBoard>,
        options: RunnerOptions,
        stop: watch::Receiver<bool>,
    ) -> Self {
        DayRunner {
            config,
            clock,
            brokers,
            journal,
            status,
            options,
            stop,
            controls: ControlInbox::none(),
        }
    }

    /// Takes the operator's controls from `inbox`.
    pub fn with_controls(mut self, inbox: ControlInbox) -> Self {
        self.controls = inbox;
        self
    }

    fn calendar(&self) -> MarketCalendar {
        MarketCalendar::new(self.config.bot.calendar.clone())
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Runs trading days until `options.days` are done or a stop is requested; returns their reports.
    pub async fn run(mut self) -> Vec<DayReport> {
        let mut reports = Vec::new();
        while self
            .options
            .days
            .is_none_or(|days| reports.len() < days as usize)
        {
            self.sync_calendar().await;
            let Some(date) = next_session_day(&self.calendar(), self.clock.now()) else {
                tracing::error!(
                    "the calendar has no trading day in the next 400 days: check the holiday file"
                );
                break;
            };
            if !self.sleep_until_pre_open(date).await {
                break;
            }
            // A closure can be announced while the bot sleeps: read the list again before the day's checks.
            self.sync_calendar().await;
            if let DayPlan::Closed(reason) = self.calendar().day_plan(date) {
                tracing::warn!("{date} is closed after all ({reason}): the broker announced it");
                continue;
            }
            let report = self.trade_day(date).await;
            let stopped = report.stopped_early;
            reports.push(report);
            if stopped {
                break;
            }
        }
        self.status.set_phase("stopped", "the runner has finished");
        if let Err(e) = self.journal.flush().await {
            tracing::error!(error = %e, "the journal could not be flushed");
        }
        reports
    }

    /// Reads the broker's holiday list into the calendar (see `calendar_sync`); new disagreements between the
    /// calendar's sources are logged and journaled.
    async fn sync_calendar(&mut self) {
        let now = self.clock.now();
        let cache = broker_calendar_path(&self.options.journal_path);
        let account = self.brokers.account.as_ref();
        let sync = sync_calendar(account, &mut self.config.bot.calendar, &cache, now, true).await;
        if sync.read {
            tracing::info!("calendar: {}", sync.summary);
        } else {
            tracing::warn!("calendar: {}", sync.summary);
        }
        for detail in sync.new_disagreements {
            tracing::warn!("calendar sources disagree: {detail}");
            self.journal.record(now, JournalEntry::Calendar { detail });
        }
    }

    /// Sleeps (or, on a simulated clock, skips) to the pre-open of `date`; false if a stop came first.
    async fn sleep_until_pre_open(&mut self, date: NaiveDate) -> bool {
        let DayPlan::Open(plan) = self.calendar().day_plan(date) else {
            return false;
        };
        let pre_open = ist_instant(date, plan.times.pre_open);
        let now = self.clock.now();
        if now >= pre_open {
            return !self.stopping();
        }
        let when = to_ist(pre_open)
            .format("%A %-d %b %Y %H:%M IST")
            .to_string();
        tracing::info!(
            "sleeping until the pre-open of {when} ({} from now)",
            humanize(pre_open - now)
        );
        self.status
            .set_phase("sleeping", format!("until the pre-open of {when}"));
        tokio::select! {
            _ = self.clock.pass_idle_time_until(pre_open) => !self.stopping(),
            _ = self.stop.changed() => false,
        }
    }

    /// One day from its pre-open to its close report.
    async fn trade_day(&mut self, date: NaiveDate) -> DayReport {
        let DayPlan::Open(plan) = self.calendar().day_plan(date) else {
            unreachable!("trade_day is only called for an open day");
        };
        let close = ist_instant(date, plan.times.close);
        self.status
            .set_phase("pre_open", format!("checks for {date}"));
        let (checks, reconciled) = self.pre_open_checks(date, close).await;
        let checked = checks
            .iter()
            .all(|c| c.passed || c.name == "reconciliation");
        let entries_allowed =
            checked && reconciled.as_ref().is_some_and(|r| r.mismatches.is_empty());
        let mut report = DayReport {
            date,
            checks,
            trading_enabled: entries_allowed,
            session: SessionSummary::default(),
            seconds_streaming: 0,
            seconds_polling: 0,
            stream_ticks: 0,
            poll_ticks: 0,
            stopped_early: self.stopping(),
            broker_open: None,
        };
        if let Some(mut reconciled) = reconciled {
            let cancels = self.apply_reconciliation(&reconciled).await;
            if cancels.filled_meanwhile {
                // An order filled between the reconciliation and its cancel: look again, so the engine starts
                // from the position the broker holds.
                if let (_, Some(fresh)) = self.reconcile_today(date).await {
                    let now = self.clock.now();
                    for fill in &fresh.missing_fills {
                        self.journal.record(now, JournalEntry::from(fill));
                    }
                    reconciled = fresh;
                }
            }
            if !cancels.still_working.is_empty() {
                let check = self.follow_left_working(&mut reconciled, cancels.still_working);
                report.trading_enabled &= check.passed;
                report.checks.push(check);
            }
            // Positions were guarded while only the price check failed: entries go on once it passes.
            let recheck_prices = !report.trading_enabled
                && report
                    .checks
                    .iter()
                    .filter(|c| !c.passed)
                    .all(|c| c.name == pre_open::PRICES_CHECK);
            let open = ist_instant(date, plan.times.open);
            self.run_session((open, close), &reconciled, recheck_prices, &mut report)
                .await;
        }
        if !report.stopped_early {
            self.status
                .set_phase("closing", format!("the close of {date}"));
            self.final_reconciliation(date).await;
            report.broker_open = self.broker_positions().await;
        }
        self.write_close_report(&report).await;
        report
    }

    /// Runs the checks until all pass (a reconciliation mismatch aside), the session closes, or a stop comes.
    /// Returns the last round of results, and the reconciliation when the session may run.
    async fn pre_open_checks(
        &mut self,
        date: NaiveDate,
        close: DateTime<Utc>,
    ) -> (Vec<CheckResult>, Option<Reconciled>) {
        let mut previous: Vec<CheckResult> = Vec::new();
        loop {
            let (checks, reconciled) = self.check_once(date).await;
            // Journal a check when its verdict or finding changed, not once a minute.
            for check in checks.iter().filter(|c| !previous.contains(c)) {
                self.record_check(check);
            }
            // Every check passed, or only the reconciliation found a difference, or open positions need guarding
            // while the price check fails: the session runs, with new entries off unless everything passed.
            if reconciled.is_some() {
                return (checks, reconciled);
            }
            self.status
                .set_phase("pre_open", "trading disabled: a pre-open check failed");
            let now = self.clock.now();
            let every = if self.calendar().is_continuous(now, EquityClass::CashOnly) {
                CHECK_RETRY_IN_SESSION
            } else {
                CHECK_RETRY
            };
            let retry = now + TimeDelta::from_std(every).expect("a small duration");
            if retry >= close {
                return (checks, None);
            }
            previous = checks;
            tokio::select! {
                _ = self.clock.sleep_until(retry) => {}
                _ = self.stop.changed() => return (previous, None),
            }
        }
    }

    async fn check_once(&mut self, date: NaiveDate) -> (Vec<CheckResult>, Option<Reconciled>) {
        let mut checks = Vec::new();
        if let Some(path) = &self.options.config_path {
            match pre_open::check_config(path) {
                Ok((mut config, check)) => {
                    // The broker's list read this morning stays: the files only know the cache, which is
                    // another journal's when the embedded simulator runs.
                    if let Some(read) = self.config.bot.calendar.broker.take() {
                        config.bot.calendar.broker = Some(read);
                    }
                    self.config = config;
                    checks.push(check);
                }
                Err(check) => return (vec![check], None),
            }
        }
        let brokers = &self.brokers;
        let (token, expires) =
            pre_open::check_token(brokers.account.as_ref(), self.clock.now()).await;
        self.status.set_token_expiry(expires);
        let token_ok = token.passed;
        checks.push(token);
        if !token_ok {
            return (checks, None);
        }
        let calendar = self.calendar();
        let holidays = &self.config.bot.holidays_path;
        let calendar_check =
            pre_open::check_calendar(brokers.account.as_ref(), &calendar, date, holidays).await;
        let calendar_ok = calendar_check.passed;
        checks.push(calendar_check);
        if !calendar_ok {
            return (checks, None);
        }
        // The feed has its own client: it takes the token just accepted (a login since the last round) before
        // the price check polls with it.
        brokers.feed.reload_token().await;
        let prices = pre_open::check_prices(brokers.feed.as_ref(), &brokers.keys).await;
        let prices_ok = prices.passed;
        checks.push(prices);
        let (check, reconciled) = self.reconcile_today(date).await;
        checks.push(check);
        // Positions already open are guarded even while the price check fails (a restart during a 429 burst): the
        // session runs with entries off, its feed and stop monitor working on whatever prices come.
        let guard_only = |r: &Reconciled| !r.restoration.guards.is_empty();
        (checks, reconciled.filter(|r| prices_ok || guard_only(r)))
    }

    /// The day's recording beside the journal, for `dalal replay`; none (said once) when it cannot be opened.
    /// It begins with the session's start and the strategy file it trades, so a replay knows both.
    fn recorder(&self, date: NaiveDate) -> Recorder {
        let path = recording_path(&self.options.journal_path, date);
        let recorder = Recorder::append_to(&path).unwrap_or_else(|e| {
            tracing::warn!(error = %e, file = %path.display(), "the day is not recorded for replay");
            Recorder::off()
        });
        let strategy = std::fs::read_to_string(&self.config.bot.strategy_path).unwrap_or_default();
        recorder.record_input(&EngineInput::SessionStart { strategy });
        recorder
    }

    fn record_check(&self, check: &CheckResult) {
        record_check(&self.journal, self.clock.now(), check);
    }

    async fn run_session(
        &mut self,
        (open, close): (DateTime<Utc>, DateTime<Utc>),
        reconciled: &Reconciled,
        recheck_prices: bool,
        report: &mut DayReport,
    ) {
        let config = &self.config;
        let calendar = self.calendar();
        let (tx, mut rx) = mpsc::channel(FEED_CHANNEL);
        let feed = FailoverFeed::new(
            Arc::clone(&self.brokers.feed),
            self.clock.clone(),
            calendar.clone(),
            FeedTimings::from(&config.bot.feed),
            self.brokers.keys.clone(),
            tx,
        )
        .without_fixed_band(config.bot.derivative_stocks());
        let stats = feed.stats();
        // Prices are due from the open, or from now when joining a session already open.
        self.status
            .attach_feed(Arc::clone(&stats), open.max(self.clock.now()));
        let (feed_stop, feed_stopped) = watch::channel(false);
        let feed_task = tokio::spawn(feed.run(feed_stopped));

        let mut engine = Engine::for_config(config, calendar);
        let recorder = self.recorder(report.date);
        let restored = reconciled.restoration.fills.len();
        if restored > 0 {
            recorder.record_input(&EngineInput::Restored { fills: restored });
        }
        let mut protect = engine.restore(&reconciled.restoration, self.clock.now());
        let entries_allowed = report.trading_enabled;
        // Only worth it when entries may follow (now, or once the price check passes); bounded, since a
        // restart's positions wait for the session.
        if (entries_allowed || recheck_prices) && self.clock.now() > open {
            let feed = self.brokers.feed.as_ref();
            let rebuild = late_start::rebuild_from_candles(
                &mut engine,
                feed,
                &self.brokers.keys,
                self.clock.now(),
                &recorder,
            );
            match tokio::time::timeout(late_start::REBUILD_WITHIN, rebuild).await {
                Ok(notes) => protect.extend(notes),
                Err(_) => tracing::warn!(
                    "the candle rebuild took too long; instruments whose range was missed sit out"
                ),
            }
        }
        for event in [
            EngineEvent::TradingEnabled(entries_allowed),
            EngineEvent::EntriesPaused(self.controls.take_paused()),
        ] {
            recorder.record(&event);
            engine.on_event(event);
        }
        self.status.set_trading_enabled(entries_allowed);
        let mut executor = Executor::new(
            Arc::clone(&self.brokers.orders),
            self.clock.clone(),
            config.bot.risk.max_orders_per_second,
            SUBMIT_TIMEOUT,
        );
        for (request, report) in &reconciled.followed {
            executor.adopt(request.clone(), report);
        }
        let mut session = TradingSession::new(
            self.clock.clone(),
            engine,
            executor,
            self.brokers.paper.clone(),
            self.journal.clone(),
            Arc::clone(&self.status),
            config.bot.charges,
        );
        let until = format!("until {} IST", to_ist(close).format("%H:%M"));
        if entries_allowed {
            self.status.set_phase("session", until.clone());
        } else {
            self.status.set_phase(
                "session",
                format!("{until}; new entries off: a pre-open check failed (see the journal)"),
            );
        }
        let recheck = recheck_prices.then(|| {
            let (open_entries, gate) = watch::channel(false);
            session.open_entries_on(gate);
            tokio::spawn(self.price_recheck(until.clone(), open_entries))
        });
        let flatten_on_stop = config.bot.session.flatten_on_stop;
        session.record_into(recorder);
        session.resume(&reconciled.restoration.fills);
        session.begin(protect);
        report.session = session
            .run_until(&mut rx, close, &mut self.stop, &mut self.controls)
            .await;
        if let Some(recheck) = recheck {
            recheck.abort();
        }
        if self.stopping() {
            // The operator's kill closes what is open whatever the config says.
            let flatten = flatten_on_stop || self.controls.is_killed();
            let doing = if flatten {
                "cancelling pending entries, closing open positions"
            } else {
                "cancelling pending entries"
            };
            self.status.set_phase("stopping", doing);
            report.session = session
                .wind_down(flatten, &mut rx, &mut self.controls)
                .await;
            report.stopped_early = true;
        }
        self.status.set_trading_enabled(false);
        // Nobody reads the feed any more: closing the channel ends it even while it waits on a full channel.
        drop(rx);
        let _ = feed_stop.send(true);
        let _ = feed_task.await;
        let stats = stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let seconds = |state: &str| stats.time_in_state.get(state).map_or(0, |d| d.as_secs());
        report.seconds_streaming = seconds("streaming");
        report.seconds_polling = seconds("polling");
        report.stream_ticks = stats.stream_ticks;
        report.poll_ticks = stats.poll_ticks;
        self.status.detach_feed();
    }

    /// What the broker itself holds now, in live mode: the close report states it beside the journal's view.
    async fn broker_positions(&self) -> Option<Vec<String>> {
        if self.brokers.paper.is_some() {
            return None;
        }
        match self.brokers.account.positions().await {
            Ok(positions) => Some(
                positions
                    .iter()
                    .filter(|p| p.product == Product::Intraday && p.net_quantity != 0)
                    .filter_map(|p| {
                        let id = self.brokers.keys.get(&p.instrument_key)?;
                        Some(format!("{id} {}", p.net_quantity))
                    })
                    .collect(),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the broker's positions could not be read at the close");
                None
            }
        }
    }

    async fn write_close_report(&mut self, report: &DayReport) {
        let failures = report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.to_string())
            .collect();
        let session = &report.session;
        self.journal.record(
            self.clock.now(),
            JournalEntry::DaySummary {
                date: report.date,
                trading_enabled: report.trading_enabled,
                ticks: session.ticks,
                orders: session.orders,
                fills: session.fills,
                round_trips: session.round_trips,
                realized_pnl: session.realized_pnl,
                charges: session.charges,
                seconds_streaming: report.seconds_streaming,
                seconds_polling: report.seconds_polling,
                fallbacks: session
                    .fallbacks
                    .iter()
                    .map(|f| format!("{} IST: {}", to_ist(f.at).format("%H:%M:%S"), f.reason))
                    .collect(),
                failures,
                broker_open: report.broker_open.clone(),
            },
        );
        if let Err(e) = self.journal.flush().await {
            tracing::error!(error = %e, "the journal could not be flushed after the close report");
        }
    }
}

fn humanize(span: TimeDelta) -> String {
    let minutes = span.num_minutes();
    match (minutes / (24 * 60), (minutes / 60) % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn record_check(journal: &Journal, at: DateTime<Utc>, check: &CheckResult) {
    if check.passed {
        tracing::info!("pre-open check {check}");
    } else {
        tracing::warn!("pre-open check {check}");
    }
    journal.record(
        at,
        JournalEntry::Check {
            name: check.name.into(),
            passed: check.passed,
            detail: check.detail.clone(),
            remedy: check.remedy.clone(),
        },
    );
}
