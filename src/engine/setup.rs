//! The continuation setup for one instrument: qualify off the previous close, build the opening range, and
//! signal an entry when price continues in the gap's direction.
//!
//! A pure state machine fed prices with their times; it knows nothing of orders or risk. Its output is at most
//! one `EntrySignal` per call, with the stop and target the trade would carry.

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::calendar::{ist_instant, to_ist};
use crate::config::{Direction, EntryTrigger, StopRule, StrategyConfig};
use crate::domain::{Candle, Side};

/// Why an instrument will not be traded today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disqualified {
    NoPreviousClose,
    /// The first price came too late to have seen the opening range (a start or restart mid-session): a range
    /// built from later prices would make the next uptick a breakout. The instrument sits out today.
    OpeningRangeNotSeen,
    GapOutsideWindow {
        gap_pct: Decimal,
    },
    GapAgainstDirection {
        gap_pct: Decimal,
    },
    RangeCrossedPreviousClose,
    /// Rebuilt from the broker's one-minute candles at a start mid-session, the setup triggered while dalal was
    /// not running: entering now would be late. The instrument sits out today.
    BreakoutMissed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupState {
    /// Before the first continuous-session price.
    Waiting,
    /// Qualified: the opening range is being built until `range_ends`.
    BuildingRange {
        side: Side,
        high: Decimal,
        low: Decimal,
        range_ends: DateTime<Utc>,
    },
    /// The opening range is complete; watching for the trigger.
    Armed {
        side: Side,
        high: Decimal,
        low: Decimal,
        beyond_since: Option<DateTime<Utc>>,
    },
    Disqualified(Disqualified),
}

/// An entry the strategy wants, before risk has had its say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySignal {
    pub side: Side,
    /// The price that triggered the signal.
    pub price: Decimal,
    pub stop: Decimal,
    pub target: Decimal,
    pub reason: &'static str,
}

pub struct Setup {
    pub state: SetupState,
    pub previous_close: Option<Decimal>,
    pub gap_pct: Option<Decimal>,
}

fn pct(value: Decimal) -> Decimal {
    value / Decimal::ONE_HUNDRED
}

impl Setup {
    pub fn new() -> Self {
        Setup {
            state: SetupState::Waiting,
            previous_close: None,
            gap_pct: None,
        }
    }

    /// Rebuilds the day so far from one-minute `candles` (oldest first, complete ones only) at a start
    /// mid-session, before any live price: the same state machine, fed each candle's path. Without a candle at
    /// the open the range cannot be known and nothing changes (the first live price then sits the instrument
    /// out); a trigger inside the candles is an entry missed (`BreakoutMissed`).
    pub fn replay(
        &mut self,
        candles: &[Candle],
        previous_close: Decimal,
        session_open: NaiveTime,
        config: &StrategyConfig,
    ) {
        let Some(first) = candles.first() else { return };
        let opened = ist_instant(to_ist(first.start).date_naive(), session_open);
        if self.state != SetupState::Waiting || first.start != opened {
            return;
        }
        for candle in candles {
            for (price, at) in candle.path(TimeDelta::minutes(1)) {
                let signal = self.on_price(price, Some(previous_close), at, session_open, config);
                if signal.is_some() {
                    self.state = SetupState::Disqualified(Disqualified::BreakoutMissed);
                }
                if matches!(self.state, SetupState::Disqualified(_)) {
                    return;
                }
            }
        }
    }

    /// Feeds one continuous-session price at `at`; returns an entry signal when the trigger fires.
    pub fn on_price(
        &mut self,
        price: Decimal,
        previous_close: Option<Decimal>,
        at: DateTime<Utc>,
        session_open: NaiveTime,
        config: &StrategyConfig,
    ) -> Option<EntrySignal> {
        if self.previous_close.is_none() {
            self.previous_close = previous_close.filter(|c| !c.is_zero());
        }
        match self.state.clone() {
            SetupState::Waiting => {
                self.qualify(price, at, session_open, config);
                None
            }
            SetupState::BuildingRange {
                side,
                high,
                low,
                range_ends,
            } => {
                // The first price after the range belongs to the trigger, not to the range.
                if at >= range_ends {
                    self.state = SetupState::Armed {
                        side,
                        high,
                        low,
                        beyond_since: None,
                    };
                    return self.check_trigger(price, at, config);
                }
                let (high, low) = (high.max(price), low.min(price));
                let close = self.previous_close.unwrap_or(price);
                let crossed = match side {
                    Side::Buy => low <= close,
                    Side::Sell => high >= close,
                };
                self.state = if config.qualify.or_must_hold && crossed {
                    SetupState::Disqualified(Disqualified::RangeCrossedPreviousClose)
                } else {
                    SetupState::BuildingRange {
                        side,
                        high,
                        low,
                        range_ends,
                    }
                };
                None
            }
            SetupState::Armed { .. } => self.check_trigger(price, at, config),
            SetupState::Disqualified(_) => None,
        }
    }

    fn qualify(
        &mut self,
        open: Decimal,
        at: DateTime<Utc>,
        session_open: NaiveTime,
        config: &StrategyConfig,
    ) {
        let Some(close) = self.previous_close else {
            self.state = SetupState::Disqualified(Disqualified::NoPreviousClose);
            return;
        };
        let q = &config.qualify;
        let day = to_ist(at).date_naive();
        let opened = crate::calendar::ist_instant(day, session_open);
        let range_ends = opened + TimeDelta::minutes(i64::from(q.or_minutes));
        // The range is only the range if it was watched from its start: the first price within its first half.
        let seen_by = opened + (range_ends - opened) / 2;
        if at > seen_by {
            self.state = SetupState::Disqualified(Disqualified::OpeningRangeNotSeen);
            return;
        }
        let gap_pct = ((open - close) / close * Decimal::ONE_HUNDRED).round_dp(4);
        self.gap_pct = Some(gap_pct);
        if gap_pct.abs() < q.gap_min_pct || gap_pct.abs() > q.gap_max_pct {
            self.state = SetupState::Disqualified(Disqualified::GapOutsideWindow { gap_pct });
            return;
        }
        let side = if gap_pct > Decimal::ZERO {
            Side::Buy
        } else {
            Side::Sell
        };
        if side == Side::Sell && config.direction == Direction::LongOnly {
            self.state = SetupState::Disqualified(Disqualified::GapAgainstDirection { gap_pct });
            return;
        }
        self.state = SetupState::BuildingRange {
            side,
            high: open,
            low: open,
            range_ends,
        };
    }

    fn check_trigger(
        &mut self,
        price: Decimal,
        at: DateTime<Utc>,
        config: &StrategyConfig,
    ) -> Option<EntrySignal> {
        let SetupState::Armed {
            side,
            high,
            low,
            beyond_since,
        } = self.state.clone()
        else {
            return None;
        };
        let close = self.previous_close?;
        let (fired, reason) = match config.entry.trigger {
            EntryTrigger::OrBreak => match side {
                Side::Buy => (price > high, "broke the opening-range high"),
                Side::Sell => (price < low, "broke the opening-range low"),
            },
            EntryTrigger::HoldBeyond => {
                let level = match side {
                    Side::Buy => close * (Decimal::ONE + pct(config.entry.trigger_pct)),
                    Side::Sell => close * (Decimal::ONE - pct(config.entry.trigger_pct)),
                };
                let beyond = match side {
                    Side::Buy => price > level,
                    Side::Sell => price < level,
                };
                let since = if beyond {
                    Some(beyond_since.unwrap_or(at))
                } else {
                    None
                };
                self.state = SetupState::Armed {
                    side,
                    high,
                    low,
                    beyond_since: since,
                };
                let held = since.is_some_and(|s| {
                    at - s >= TimeDelta::seconds(i64::from(config.entry.confirm_seconds))
                });
                (held, "held beyond the trigger level")
            }
        };
        if !fired {
            return None;
        }
        let stop = match config.exit.stop {
            StopRule::OrOpposite => match side {
                Side::Buy => low,
                Side::Sell => high,
            },
            StopRule::Percent => match side {
                Side::Buy => price * (Decimal::ONE - pct(config.exit.stop_pct)),
                Side::Sell => price * (Decimal::ONE + pct(config.exit.stop_pct)),
            },
        };
        let risk = (price - stop).abs();
        let target = match side {
            Side::Buy => price + risk * config.exit.target_r,
            Side::Sell => price - risk * config.exit.target_r,
        };
        Some(EntrySignal {
            side,
            price,
            stop,
            target,
            reason,
        })
    }

    /// After an exit, the setup may fire again on a fresh trigger.
    pub fn rearm(&mut self) {
        if let SetupState::Armed {
            side, high, low, ..
        } = self.state.clone()
        {
            self.state = SetupState::Armed {
                side,
                high,
                low,
                beyond_since: None,
            };
        }
    }
}
