//! Logging in to the Upstox simulator: the dialog's redirect and the one exchange of its code (a reused code, a
//! wrong secret, a redirect URI that is not the app's), `dalal login upstox` as a process catching the redirect
//! on a loopback listener or taking the pasted address (and refusing one whose `state` is not its own), and a
//! running `dalal run` that trades once a new login rewrites its token file.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use dalal::broker::upstox::{UpstoxLogin, UpstoxLoginError, code_from_redirect};
use dalal::config::{Secret, write_token_file};
use dalal::journal::JournalEntry;
use dalal::sim::UpstoxApp;
use url::Url;

use crate::run_command::{sim_journal, start_run_with, wait_with_limit};
use crate::support::{ConfigTree, SimHarness, ist, quiet_scenario, shipped_calendar};

/// Simulated 08:45 IST on Monday 23 Nov 2026: a token issued now expires Tuesday 03:30 IST.
async fn sim_with(app: UpstoxApp) -> SimHarness {
    let start = ist(2026, 11, 23, 8, 45, 0);
    SimHarness::start_with_app(quiet_scenario(), start, 1.0, shipped_calendar(), app).await
}

fn login_for(sim: &SimHarness, app: &UpstoxApp, redirect_uri: &str) -> UpstoxLogin {
    UpstoxLogin::new(
        sim.server.base_url(),
        Secret::new(app.api_key.clone()),
        Url::parse(redirect_uri).unwrap(),
    )
    .unwrap()
}

/// Where the dialog sends the browser, without following it.
async fn redirect_of(dialog: &Url) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(dialog.clone())
        .send()
        .await
        .unwrap()
}

async fn fresh_code(login: &UpstoxLogin) -> String {
    let answer = redirect_of(&login.dialog_url("s1")).await;
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    code_from_redirect(&location, "s1").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_spent_by_its_first_exchange_and_each_refusal_says_why() {
    let app = UpstoxApp::default();
    let sim = sim_with(app.clone()).await;
    let login = login_for(&sim, &app, &app.redirect_uri);
    let secret = Secret::new(app.api_secret.clone());
    let now = sim.clock.now();

    let code = fresh_code(&login).await;
    let wrong_secret = Secret::new("not-the-secret");
    let wrong = login.exchange_code(&code, &wrong_secret, now).await;
    assert!(matches!(wrong, Err(UpstoxLoginError::WrongSecret)));
    let again = login.exchange_code(&code, &secret, now).await;
    assert!(
        matches!(again, Err(UpstoxLoginError::CodeRefused)),
        "a code is spent even by a failed exchange"
    );

    let code = fresh_code(&login).await;
    let elsewhere = login_for(&sim, &app, "http://127.0.0.1:9/elsewhere");
    let mismatch = elsewhere.exchange_code(&code, &secret, now).await;
    assert!(matches!(mismatch, Err(UpstoxLoginError::AppMismatch)));
    let dialog = redirect_of(&elsewhere.dialog_url("s1")).await;
    assert_eq!(dialog.status(), 400);
    assert!(dialog.text().await.unwrap().contains("UDAPI100068"));

    let code = fresh_code(&login).await;
    let issued = login.exchange_code(&code, &secret, now).await.unwrap();
    assert_eq!(issued.user_id, "SIM001");
    assert_eq!(issued.expires, ist(2026, 11, 24, 3, 30, 0));
    let profile = sim.rest(issued.token.expose()).profile().await.unwrap();
    assert_eq!(profile.user_id, "SIM001");
}

/// `dalal login upstox` against the simulator, its stdin piped, its stderr read a line at a time.
fn start_login(
    sim: &SimHarness,
    app: &UpstoxApp,
    token_file: &std::path::Path,
    extra: &[&str],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args([
            "login",
            "upstox",
            "--base-url",
            sim.server.base_url().as_str(),
        ])
        .args(["--redirect-uri", &app.redirect_uri])
        .arg("--token-file")
        .arg(token_file)
        .args(extra)
        .env("UPSTOX_API_KEY", &app.api_key)
        .env("UPSTOX_API_SECRET", &app.api_secret)
        .env_remove("DALAL_TOKEN_FILE")
        .env_remove("UPSTOX_REDIRECT_URI")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The dialog URL the login prints, and everything it wrote to stderr up to it.
fn printed_dialog(stderr: &mut BufReader<ChildStderr>) -> (Url, String) {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no dialog URL: {seen}"
        );
        seen.push_str(&line);
        if let Ok(url) = Url::parse(line.trim()) {
            return (url, seen);
        }
    }
}

/// Waits for the login to end; its exit code and everything it printed.
fn finished(
    mut child: Child,
    mut stderr: BufReader<ChildStderr>,
    before: String,
) -> (Option<i32>, String) {
    let status = child.wait().unwrap();
    let mut printed = before;
    stderr.read_to_string(&mut printed).unwrap();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    (status.code(), printed)
}

fn assert_private(token_file: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_loopback_flow_catches_the_redirect_and_writes_a_private_token_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = UpstoxApp {
        redirect_uri: format!("http://127.0.0.1:{}/callback", free_port()),
        ..UpstoxApp::default()
    };
    let sim = runtime.block_on(sim_with(app.clone()));
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("data/upstox.token");
    let mut child = start_login(&sim, &app, &token_file, &["--listen"]);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (dialog, before) = printed_dialog(&mut stderr);
    assert_eq!(
        dialog
            .query_pairs()
            .find(|(k, _)| k == "response_type")
            .unwrap()
            .1,
        "code"
    );

    // The browser: the dialog redirects to the loopback listener, which answers with a page.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        match runtime.block_on(reqwest::get(dialog.clone())) {
            Ok(answer) => break runtime.block_on(answer.text()).unwrap(),
            Err(e) if Instant::now() < deadline && e.is_connect() => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("the browser could not follow the dialog: {e}"),
        }
    };
    assert!(page.contains("dalal has the code"), "{page}");

    let (code, printed) = finished(child, stderr, before);
    assert_eq!(code, Some(0), "{printed}");
    assert!(printed.contains("as SIM001"), "{printed}");
    assert!(
        printed.contains("expires Tue 24 Nov 03:30 IST"),
        "{printed}"
    );
    assert_private(&token_file);
    let token = std::fs::read_to_string(&token_file).unwrap();
    for secret in [token.trim(), app.api_secret.as_str()] {
        assert!(!printed.contains(secret), "a secret was printed: {printed}");
    }
    let profile = runtime.block_on(sim.rest(token.trim()).profile()).unwrap();
    assert_eq!(profile.user_id, "SIM001");
}

#[test]
fn the_pasted_address_logs_in_and_one_with_another_state_is_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = UpstoxApp::default();
    let sim = runtime.block_on(sim_with(app.clone()));
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("data/upstox.token");

    // Another login's address (its `state` is not this run's) is refused, and no file is written.
    let mut child = start_login(&sim, &app, &token_file, &[]);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (dialog, before) = printed_dialog(&mut stderr);
    let mut foreign = dialog.clone();
    foreign.query_pairs_mut().clear();
    for (name, value) in dialog.query_pairs() {
        let value = if name == "state" {
            "not-ours".into()
        } else {
            value
        };
        foreign.query_pairs_mut().append_pair(&name, &value);
    }
    let answer = runtime.block_on(redirect_of(&foreign));
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    writeln!(child.stdin.take().unwrap(), "{location}").unwrap();
    let (code, printed) = finished(child, stderr, before);
    assert_ne!(code, Some(0), "{printed}");
    assert!(
        printed.contains("`state` is not the one this login sent"),
        "{printed}"
    );
    assert!(!token_file.exists());

    // This run's own address logs in; the code in it is not echoed back.
    let mut child = start_login(&sim, &app, &token_file, &[]);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (dialog, before) = printed_dialog(&mut stderr);
    let answer = runtime.block_on(redirect_of(&dialog));
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    let pasted_code = Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    writeln!(child.stdin.take().unwrap(), "{location}").unwrap();
    let (code, printed) = finished(child, stderr, before);
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        !printed.contains(&pasted_code),
        "the code was echoed: {printed}"
    );
    assert!(!printed.contains(&app.api_secret), "the secret was printed");
    assert_private(&token_file);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(runtime.block_on(sim.rest(token.trim()).profile()).is_ok());
}

/// The simulator's address from the first line `dalal run` prints.
fn embedded_sim_url(stdout: &mut BufReader<std::process::ChildStdout>) -> Url {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let start = line.find("http://").unwrap_or_else(|| panic!("{line}"));
    let address = line[start..].split_whitespace().next().unwrap();
    Url::parse(address).unwrap()
}

fn wait_for_journal(tree: &ConfigTree, what: &str, found: impl Fn(&JournalEntry) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !sim_journal(tree).iter().any(|r| found(&r.entry)) {
        if Instant::now() > deadline {
            let seen: Vec<String> = sim_journal(tree)
                .iter()
                .map(|r| format!("{:?}", r.entry))
                .collect();
            panic!("no {what} within 90 s; the journal:\n{}", seen.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(unix)]
#[test]
fn a_running_bot_trades_once_a_new_login_rewrites_its_refused_token_file() {
    let tree = ConfigTree::shipped();
    let token_file = tree.root().join("data/upstox.token");
    write_token_file(&token_file, &Secret::new("yesterdays-token")).unwrap();
    let mut run = start_run_with(
        &tree,
        &[
            "--start",
            "2026-11-23T09:10",
            "--speed",
            "60",
            "--token-file",
            "data/upstox.token",
        ],
    );
    let mut stdout = BufReader::new(run.stdout.take().unwrap());
    let base = embedded_sim_url(&mut stdout);
    // Both pipes drained all along, so a chatty log never blocks the bot on a full pipe.
    let drained = [
        drain(stdout),
        drain(BufReader::new(run.stderr.take().unwrap())),
    ];

    wait_for_journal(&tree, "refused token check", |entry| {
        matches!(entry, JournalEntry::Check { name, passed: false, remedy: Some(remedy), .. }
            if name == "token" && remedy.contains("dalal login upstox"))
    });
    let app = UpstoxApp::default();
    let mut login = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["login", "upstox", "--base-url", base.as_str()])
        .arg("--token-file")
        .arg(&token_file)
        .env("UPSTOX_API_KEY", &app.api_key)
        .env("UPSTOX_API_SECRET", &app.api_secret)
        .env_remove("DALAL_TOKEN_FILE")
        .env_remove("UPSTOX_REDIRECT_URI")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(login.stderr.take().unwrap());
    let (dialog, before) = printed_dialog(&mut stderr);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answer = runtime.block_on(redirect_of(&dialog));
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    writeln!(login.stdin.take().unwrap(), "{location}").unwrap();
    let (code, printed) = finished(login, stderr, before);
    assert_eq!(code, Some(0), "{printed}");

    wait_for_journal(
        &tree,
        "accepted token check",
        |entry| matches!(entry, JournalEntry::Check { name, passed: true, .. } if name == "token"),
    );
    wait_for_journal(&tree, "fill after the new login", |entry| {
        matches!(entry, JournalEntry::Fill { .. })
    });
    crate::run_command::sigterm(&run);
    let (code, _, _) = wait_with_limit(run, Duration::from_secs(30));
    let [stdout, stderr] = drained.map(|thread| thread.join().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(
        !format!("{stdout}{stderr}").contains(token.trim()),
        "the token reached the output"
    );
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_past_its_0330_expiry_is_named_with_the_command_that_renews_it() {
    let app = UpstoxApp::default();
    let just_before = ist(2026, 11, 24, 3, 29, 59);
    let sim = SimHarness::start_with_app(
        quiet_scenario(),
        just_before,
        1.0,
        shipped_calendar(),
        app.clone(),
    )
    .await;
    let login = login_for(&sim, &app, &app.redirect_uri);
    let code = fresh_code(&login).await;
    let secret = Secret::new(app.api_secret.clone());
    let issued = login
        .exchange_code(&code, &secret, sim.clock.now())
        .await
        .unwrap();
    assert_eq!(issued.expires, ist(2026, 11, 24, 3, 30, 0));
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("upstox.token");
    write_token_file(&token_file, &issued.token).unwrap();
    let account = dalal::broker::upstox::UpstoxAccount::new(
        std::sync::Arc::new(sim.rest("not-yet-read")),
        dalal::config::TokenSource::File(token_file),
    );

    let (fresh, expires) = dalal::runner::check_token(&account, sim.clock.now()).await;
    assert!(fresh.passed, "{fresh}");
    assert_eq!(expires, Some(issued.expires));
    assert!(
        fresh.detail.contains("expires Tue 24 Nov 03:30 IST"),
        "{fresh}"
    );

    sim.clock
        .sleep_until(issued.expires + chrono::TimeDelta::seconds(1))
        .await;
    let (stale, _) = dalal::runner::check_token(&account, sim.clock.now()).await;
    assert!(!stale.passed);
    assert!(
        stale.detail.contains("expired Tue 24 Nov 03:30 IST"),
        "{stale}"
    );
    assert!(stale.remedy.unwrap().contains("`dalal login upstox`"));
}
