//! The operator's console on a running `dalal run`: every control refused without the right key (or without any
//! key configured), and each one carried out with it: pause, resume, flatten one instrument, kill.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dalal::journal::JournalEntry;
use serde_json::Value;

use crate::run_command::{sigterm, sim_journal, start_run_with_env, wait_with_limit};
use crate::support::ConfigTree;

const KEY: &str = "k3y-for-the-console-test";

/// A `dalal run` on the embedded simulator and the address its status endpoint took.
pub(crate) struct RunningBot {
    pub child: Child,
    pub addr: SocketAddr,
    pub stderr: Arc<Mutex<String>>,
}

impl RunningBot {
    pub(crate) fn start(tree: &ConfigTree, args: &[&str], env: &[(&str, &str)]) -> RunningBot {
        let mut child = start_run_with_env(tree, args, env);
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, addr) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("stderr is piped");
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(at) = line.find("live page: http://") {
                    let rest = &line[at + "live page: http://".len()..];
                    let end = rest.find('/').unwrap_or(rest.len());
                    let _ = found.send(rest[..end].to_string());
                }
                kept.lock().unwrap().push_str(&line);
                kept.lock().unwrap().push('\n');
            }
        });
        let addr = addr
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no live page address in: {}", stderr.lock().unwrap()))
            .parse()
            .unwrap();
        RunningBot {
            child,
            addr,
            stderr,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) async fn status(&self) -> Value {
        reqwest::get(self.url("/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls `/status` until `check` holds, for at most `limit` of real time.
    pub(crate) async fn status_until(
        &self,
        limit: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let status = self.status().await;
            if check(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "not within {limit:?}; last status: {status}\n{}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn post(bot: &RunningBot, path: &str, key: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().post(bot.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

fn ctl(bot: &RunningBot, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("ctl")
        .args(args)
        .args(["--status-listen", &bot.addr.to_string()])
        .env("DALAL_CONTROL_TOKEN", KEY)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The journal's `control` entries, as (action, accepted, detail).
fn controls(tree: &ConfigTree) -> Vec<(String, bool, String)> {
    sim_journal(tree)
        .into_iter()
        .filter_map(|r| match r.entry {
            JournalEntry::Control {
                action,
                accepted,
                detail,
            } => Some((action, accepted, detail)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controls_need_the_key_and_each_one_acts() {
    let tree = ConfigTree::shipped();
    let bot = RunningBot::start(
        &tree,
        &["--start", "2026-11-23T09:29:40", "--speed", "10"],
        &[("DALAL_CONTROL_TOKEN", KEY)],
    );

    assert_eq!(post(&bot, "/control/pause", None).await.0, 401);
    assert_eq!(
        post(&bot, "/control/pause", Some("not-the-key")).await.0,
        401
    );
    assert_eq!(
        post(&bot, "/control/sell-everything", Some(KEY)).await.0,
        404
    );
    let (code, text) = post(&bot, "/control/pause", Some(KEY)).await;
    assert_eq!(
        (code, text.trim()),
        (
            200,
            "new entries paused; open positions stay guarded by their stops"
        )
    );
    assert_eq!(bot.status().await["entries_paused"], true);
    let (code, text) = ctl(&bot, &["resume"]);
    assert_eq!((code, text.trim()), (Some(0), "200: new entries resumed"));
    assert_eq!(bot.status().await["entries_paused"], false);

    // The scenario's first entry comes at 09:30:07; flatten it by its symbol.
    let status = bot
        .status_until(Duration::from_secs(60), |s| {
            s["positions"].as_array().is_some_and(|p| !p.is_empty())
        })
        .await;
    let instrument = status["positions"][0]["instrument"]
        .as_str()
        .unwrap()
        .to_string();
    let symbol = instrument.trim_start_matches("NSE:");
    let (code, text) = ctl(&bot, &["flatten", symbol]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("closing {instrument} +")), "{text}");
    bot.status_until(Duration::from_secs(60), |s| {
        s["positions"].as_array().is_some_and(|p| {
            p.iter()
                .all(|line| line["instrument"] != instrument.as_str())
        })
    })
    .await;
    let (code, text) = ctl(&bot, &["flatten", "NOSUCH"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("NOSUCH is not an instrument this bot trades"),
        "{text}"
    );

    // The scenario's next entry (HDFCBANK, 09:32:06) is open when the kill comes: it is closed before the stop.
    bot.status_until(Duration::from_secs(60), |s| {
        s["positions"].as_array().is_some_and(|p| !p.is_empty())
    })
    .await;
    let (code, text) = ctl(&bot, &["kill"]);
    assert_eq!(code, Some(0), "{text}");
    let RunningBot { child, .. } = bot;
    let (code, stdout, _) = wait_with_limit(child, Duration::from_secs(60));
    assert_eq!(code, Some(0));
    assert!(stdout.contains("stopped before the close"), "{stdout}");
    assert!(stdout.contains("operator flatten"), "{stdout}");
    let exits: Vec<String> = sim_journal(&tree)
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::Trade { exit_reason, .. } => Some(exit_reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(exits, ["operator flatten", "shutdown"], "{stdout}");
    let mut net: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for r in sim_journal(&tree) {
        if let JournalEntry::Fill {
            instrument,
            side,
            quantity,
            ..
        } = &r.entry
        {
            let signed = if side == "BUY" { 1 } else { -1 } * i64::from(*quantity);
            *net.entry(instrument.clone()).or_default() += signed;
        }
    }
    assert!(
        net.values().all(|n| *n == 0),
        "not flat after the kill: {net:?}"
    );

    let journaled = controls(&tree);
    let summary: Vec<(&str, bool)> = journaled
        .iter()
        .map(|(action, accepted, _)| (action.as_str(), *accepted))
        .collect();
    let flatten = format!("flatten {symbol}");
    assert_eq!(
        summary,
        [
            ("pause", false),
            ("pause", false),
            ("pause", true),
            ("resume", true),
            (flatten.as_str(), true),
            ("flatten NOSUCH", false),
            ("kill", true),
        ]
    );
    assert!(journaled[0].2.contains("no key"), "{journaled:?}");
    assert_eq!(journaled[1].2, "wrong key");
    let everything = format!("{:?}", sim_journal(&tree));
    assert!(!everything.contains(KEY), "the key reached the journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_key_configured_every_control_is_refused_and_journaled() {
    let tree = ConfigTree::shipped();
    let bot = RunningBot::start(
        &tree,
        &["--start", "2026-11-23T09:20", "--speed", "10"],
        &[("DALAL_CONTROL_TOKEN", "")],
    );
    for action in ["pause", "resume", "flatten", "flatten/SBIN", "kill"] {
        let (code, text) = post(&bot, &format!("/control/{action}"), Some("anything")).await;
        assert_eq!(code, 403, "{action}: {text}");
        assert!(text.contains("set DALAL_CONTROL_TOKEN"), "{text}");
    }
    assert_eq!(bot.status().await["entries_paused"], false);
    sigterm(&bot.child);
    let RunningBot { child, .. } = bot;
    let (code, _, stderr) = wait_with_limit(child, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    let journaled = controls(&tree);
    assert_eq!(journaled.len(), 5, "{journaled:?}");
    assert!(journaled.iter().all(|(_, accepted, _)| !accepted));
}
