//! dalal: an intraday trading bot for NSE/BSE cash equities that keeps seeing prices when the broker's
//! WebSocket feed misbehaves. The modules follow the flow of a trading day (`docs/architecture.md` draws it):
//! `domain` types, the `calendar` and clock, the trader's `config`, one module per `broker`, the failover `feed`,
//! the pure `engine`, `execution`, the `journal`, the candle `history`, the `runner` that drives a day, the
//! `alerts` that follow the journal to the trader's phone, and the `app` that wires them into the `dalal` command.
//! Broker facts with their grades are in `docs/brokers.md`; how to work on the code is in `docs/development.md`.

pub mod alerts;
pub mod app;
pub mod backtest;
pub mod broker;
pub mod calendar;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod engine;
pub mod execution;
pub mod feed;
#[cfg(test)]
mod fuzz_input;
pub mod history;
pub mod journal;
pub mod review;
pub mod runner;
pub mod sim;
pub mod status;
