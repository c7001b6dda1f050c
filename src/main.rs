//! The `dalal` command line. Everything it does lives in the library; this file only turns the outcome into an
//! exit code, and reports an error it could not handle with its context.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dalal::app::Cli::parse();
    match dalal::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dalal: {e:#}");
            ExitCode::from(2)
        }
    }
}
