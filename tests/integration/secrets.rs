//! No secret in anything dalal writes: a simulated day of each broker's API with `RUST_LOG=trace` (every
//! dependency's output asked for), searched for the token, the API key and secret, the feed's one-time codes
//! and authorization headers in stdout, stderr and the journal. Colour codes stay out of a piped log too.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::run_command::{sigterm, sim_journal, start_run_with_env, wait_with_limit};
use crate::support::ConfigTree;

/// What a leak looks like: any JWT (both brokers' tokens are JWTs), the simulated HDFC Sky app's key and secret,
/// the query parameters that carry credentials, and an authorization header.
fn leaks(text: &str) -> Vec<String> {
    let sky = dalal::sim::SkyAccount::default();
    let upstox = dalal::sim::UpstoxApp::default();
    let needles = [
        "eyJ",
        sky.api_key.as_str(),
        sky.api_secret.as_str(),
        upstox.api_secret.as_str(),
        "code=",
        "token=e",
        "api_key=d",
        "Bearer ",
        "authorization: ",
    ];
    needles
        .iter()
        .filter_map(|needle| {
            text.find(needle).map(|at| {
                let end = (at + 80).min(text.len());
                let start = at.saturating_sub(80);
                format!("{needle:?} in …{}…", text.get(start..end).unwrap_or(needle))
            })
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn a_day_at_trace_level_writes_no_secret_for_either_broker() {
    for api in ["upstox", "hdfcsky"] {
        let tree = ConfigTree::shipped();
        let mut run = start_run_with_env(
            &tree,
            &[
                "--start",
                "2026-11-23T09:14:30",
                "--speed",
                "60",
                "--sim-api",
                api,
            ],
            &[("RUST_LOG", "trace")],
        );
        // Both pipes drained all along: at TRACE the log is large, and a full pipe would stall the bot.
        let pipes = [
            drain(run.stdout.take().unwrap()),
            drain(run.stderr.take().unwrap()),
        ];
        let deadline = Instant::now() + Duration::from_secs(120);
        while !sim_journal(&tree).iter().any(|r| r.entry.kind() == "fill") {
            assert!(Instant::now() < deadline, "{api}: no fill within 120 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        sigterm(&run);
        let (code, _, _) = wait_with_limit(run, Duration::from_secs(60));
        let [stdout, stderr] = pipes.map(|p| p.join().unwrap());
        assert_eq!(code, Some(0), "{api}");
        // dalal's own DEBUG lines prove the filter let the level through; dependencies' TRACE is what it drops.
        assert!(
            stderr.contains("DEBUG"),
            "{api}: no DEBUG line in a log asked for TRACE:\n{stderr}"
        );
        let journal: String = sim_journal(&tree)
            .iter()
            .map(|r| format!("{:?}\n", r.entry))
            .collect();
        for (what, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("journal", &journal),
        ] {
            let found = leaks(text);
            assert!(found.is_empty(), "{api} {what}: {found:#?}");
        }
        assert!(
            !stderr.contains("\x1b["),
            "{api}: colour codes in a piped log"
        );
        println!(
            "{api}: {} log lines at TRACE, {} journal entries, no secret found",
            stderr.lines().count(),
            journal.lines().count()
        );
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}
