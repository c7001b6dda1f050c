//! One integration test binary (ripgrep's layout): shared helpers in `support`, one module per capability.

mod calendar;
mod calendar_sources;
mod cli;
mod config;
mod day_runner;
mod doctor;
mod execution;
mod failover;
mod hdfcsky_api;
mod hdfcsky_books;
mod hdfcsky_day;
mod hdfcsky_full_quote;
mod hdfcsky_funds;
mod hdfcsky_login;
mod journal;
mod official_sdk;
mod order_faults;
mod order_stream;
mod review;
mod run_command;
mod secrets;
mod support;
mod trading_session;
mod upstox_feed;
mod upstox_login;
mod upstox_sim;
