//! `dalal health`: asks a running bot's status endpoint for `/health` and exits 0 (healthy) or 1, with the
//! reason on stdout. It is the container's `HEALTHCHECK`: the slim image has no curl, and needs none.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// The status endpoint's address; 0.0.0.0 is asked on 127.0.0.1.
    #[arg(long, default_value = "127.0.0.1:8686", env = "DALAL_STATUS_LISTEN")]
    pub status_listen: SocketAddr,
}

/// Where to reach an endpoint listening on `addr`: one on every interface is asked on loopback.
pub fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip([127, 0, 0, 1].into());
    }
    addr
}

pub fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    let addr = reachable(args.status_listen);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        match client.get(format!("http://{addr}/health")).send().await {
            Ok(answer) => {
                let healthy = answer.status().is_success();
                print!("{}", answer.text().await.unwrap_or_default());
                Ok(if healthy {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            Err(e) => {
                println!("no answer from http://{addr}/health: {e} (is `dalal run` running?)");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
