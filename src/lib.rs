pub mod app;
pub mod calendar;
pub mod config;
pub mod domain;
