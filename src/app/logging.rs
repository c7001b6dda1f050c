//! Log output: readable lines on a terminal, one JSON object per line for containers. Logs go to stderr so a
//! command's own output on stdout stays clean to pipe.
//!
//! Two rules hold whatever `RUST_LOG` asks for. Other crates' TRACE output is never written: tungstenite logs
//! its whole handshake request there (HDFC Sky's feed URL carries the token and the API key, Upstox's the
//! one-time code), and a dependency's TRACE is too much to vet line by line. And colour codes are written only
//! to a terminal, never to a file or a pipe, and not when `NO_COLOR` is set.

use std::io::IsTerminal;

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let no_dependency_trace =
        filter_fn(|meta| *meta.level() < Level::TRACE || meta.target().starts_with("dalal"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_wanted(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_writer(|| super::status_line::LineAwareStderr);
    let installed = match format {
        LogFormat::Pretty => builder.finish().with(no_dependency_trace).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .finish()
            .with(no_dependency_trace)
            .try_init(),
    };
    // A second init (tests run several commands in one process) keeps the first subscriber.
    drop(installed);
}

/// Colour only on a terminal, and not when `NO_COLOR` is set to a non-empty value (https://no-color.org).
fn colour_wanted(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(!colour_wanted(false, None));
        assert!(!colour_wanted(true, Some("1".into())));
        assert!(colour_wanted(true, Some("".into())));
    }
}
