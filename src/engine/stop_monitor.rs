//! Watches every open trade on every price: stop, target, and a trailing stop that activates once the trade is
//! far enough in profit. The stop only ever moves in the trade's favour.

use std::fmt;

use rust_decimal::Decimal;

use crate::config::StrategyConfig;
use crate::domain::Side;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    Stop,
    Target,
    TrailingStop,
    /// The strategy's flat time (or the bot's square-off time) arrived.
    TimeExit,
    /// The daily loss limit was reached.
    DailyLoss,
    /// The bot was stopped with `flatten` configured.
    Shutdown,
    /// The operator asked to flatten (`dalal ctl flatten`, or `kill`).
    Operator,
    /// An exit the previous run left working, whose cancel the broker refused at the restart.
    LeftWorking,
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExitReason::Stop => "stop",
            ExitReason::Target => "target",
            ExitReason::TrailingStop => "trailing stop",
            ExitReason::TimeExit => "time exit",
            ExitReason::DailyLoss => "daily loss limit",
            ExitReason::Shutdown => "shutdown",
            ExitReason::Operator => "operator flatten",
            ExitReason::LeftWorking => "exit left working by the previous run",
        })
    }
}

/// A filled entry and the exits that guard it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTrade {
    pub side: Side,
    pub quantity: u32,
    pub entry_price: Decimal,
    pub stop: Decimal,
    pub initial_stop: Decimal,
    pub target: Decimal,
    /// Entry to the initial stop: one R.
    pub initial_risk: Decimal,
    /// The most favourable price seen since entry.
    pub best: Decimal,
    pub trailing: bool,
}

impl OpenTrade {
    pub fn new(
        side: Side,
        quantity: u32,
        entry_price: Decimal,
        stop: Decimal,
        target: Decimal,
    ) -> Self {
        OpenTrade {
            side,
            quantity,
            entry_price,
            stop,
            initial_stop: stop,
            target,
            initial_risk: (entry_price - stop).abs(),
            best: entry_price,
            trailing: false,
        }
    }

    /// Updates the trailing stop with `price` and says whether an exit is due.
    pub fn on_price(&mut self, price: Decimal, config: &StrategyConfig) -> Option<ExitReason> {
        let long = self.side == Side::Buy;
        let favourable = |a: Decimal, b: Decimal| if long { a > b } else { a < b };
        if favourable(price, self.best) {
            self.best = price;
        }
        let profit = if long {
            self.best - self.entry_price
        } else {
            self.entry_price - self.best
        };
        if !self.trailing
            && profit >= self.initial_risk * config.exit.trail_after_r
            && config.exit.trail_pct > Decimal::ZERO
        {
            self.trailing = true;
        }
        if self.trailing {
            let distance = self.best * config.exit.trail_pct / Decimal::ONE_HUNDRED;
            let trail = if long {
                self.best - distance
            } else {
                self.best + distance
            };
            if favourable(trail, self.stop) {
                self.stop = trail;
            }
        }
        let stopped = if long {
            price <= self.stop
        } else {
            price >= self.stop
        };
        let reached = if long {
            price >= self.target
        } else {
            price <= self.target
        };
        if reached {
            Some(ExitReason::Target)
        } else if stopped && self.stop != self.initial_stop {
            Some(ExitReason::TrailingStop)
        } else if stopped {
            Some(ExitReason::Stop)
        } else {
            None
        }
    }
}
