//! The standard for the simulator is Upstox's own SDK: its Python client fetches LTP, places an order, reads the
//! order book, and streams and decodes feed frames from the simulator without an error.
//!
//! Needs `python3` with `upstox-python-sdk` (`.ci/run` installs it). Where it is missing the test says so and
//! passes, except in CI (`CI=true`), where a missing SDK is a failure.

use std::process::Command;

use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario, repo_root};

fn sdk_available() -> bool {
    Command::new("python3")
        .args(["-c", "import upstox_client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_works_against_the_simulator() {
    if !sdk_available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must install upstox-python-sdk (see .ci/run)"
        );
        eprintln!("SKIPPED: pip install upstox-python-sdk==2.30.0 to run the official-SDK check");
        return;
    }
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let script = repo_root().join("tests/sdk/upstox_sdk_check.py");
    let base = sim.server.base_url().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(base.trim_end_matches('/'))
            .arg(SIM_TOKEN)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}\n{stdout}");
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["order"]["status"], "complete");
    assert_eq!(seen["frames"][0], "market_info");
}
