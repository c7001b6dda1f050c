//! `dalal ctl pause | resume | flatten [SYMBOL] | kill`: the operator's controls from a terminal. It posts to a
//! running bot's status endpoint with the key from `DALAL_CONTROL_TOKEN`, prints the bot's answer and exits 0 only
//! when the bot carried the control out.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::health_command::reachable;
use crate::status::CONTROL_TOKEN_ENV;

#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    #[command(subcommand)]
    pub action: CtlAction,
    /// The status endpoint's address; 0.0.0.0 is asked on 127.0.0.1.
    #[arg(
        long,
        global = true,
        default_value = "127.0.0.1:8686",
        env = "DALAL_STATUS_LISTEN"
    )]
    pub status_listen: SocketAddr,
}

#[derive(Debug, clap::Subcommand)]
pub enum CtlAction {
    /// Stop new entries; open positions stay guarded by their stops.
    Pause,
    /// Allow new entries again.
    Resume,
    /// Close one instrument's position (or every one) through the normal exit escalation.
    Flatten {
        /// `RELIANCE` or `NSE:RELIANCE`; every open position when left out.
        symbol: Option<String>,
    },
    /// Close every position, cancel every order of ours and stop the bot.
    Kill,
}

impl CtlAction {
    fn path(&self) -> String {
        match self {
            CtlAction::Pause => "pause".into(),
            CtlAction::Resume => "resume".into(),
            CtlAction::Flatten { symbol: None } => "flatten".into(),
            CtlAction::Flatten {
                symbol: Some(symbol),
            } => format!("flatten/{symbol}"),
            CtlAction::Kill => "kill".into(),
        }
    }
}

pub fn run(args: CtlArgs) -> anyhow::Result<ExitCode> {
    let Some(key) = std::env::var(CONTROL_TOKEN_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
    else {
        anyhow::bail!(
            "{CONTROL_TOKEN_ENV} is not set: set it to the key the running bot was started with"
        );
    };
    let url = format!(
        "http://{}/control/{}",
        reachable(args.status_listen),
        args.action.path()
    );
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // The flatten waits up to 5 s for the session's answer.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()?;
        match client.post(&url).bearer_auth(key.trim()).send().await {
            Ok(answer) => {
                let done = answer.status().is_success();
                let code = answer.status().as_u16();
                let text = answer.text().await.unwrap_or_default();
                print!("{code}: {text}");
                Ok(if done {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            Err(e) => {
                println!("no answer from {url}: {e} (is `dalal run` running?)");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
