//! `dalal decode upstox-v3 FILE…`: shows captured feed frames as normalized JSON, one document per file in the
//! order given. A frame that does not decode is reported on stderr with its file, and the next file is decoded.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::broker::upstox::FeedFrame;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FrameFormat {
    /// Upstox Market Data Feed V3: one binary protobuf `FeedResponse` per file.
    #[value(name = "upstox-v3")]
    UpstoxV3,
}

pub fn run(format: FrameFormat, files: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for file in files {
        match decode_file(format, file) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                failed += 1;
                eprintln!("dalal decode: {}: {e:#}", file.display());
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn decode_file(format: FrameFormat, file: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).context("cannot read the file")?;
    let view = match format {
        FrameFormat::UpstoxV3 => {
            let (frame, _) = FeedFrame::decode(&bytes)
                .context("skipped: check that the file holds exactly one binary WebSocket frame")?;
            frame.view()
        }
    };
    Ok(serde_json::to_string_pretty(&view)?)
}
