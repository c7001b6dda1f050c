//! Log output: readable lines on a terminal, one JSON object per line for containers. Logs go to stderr so a
//! command's own output on stdout stays clean to pipe.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| super::status_line::LineAwareStderr);
    let installed = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
    // A second init (tests run several commands in one process) keeps the first subscriber.
    drop(installed);
}
