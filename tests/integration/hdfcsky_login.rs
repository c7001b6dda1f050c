//! Logging in to the HDFC Sky simulator: the six-call flow with a scripted OTP and PIN, the browser-redirect
//! alternative, the refusals a wrong answer or a second host earns, and `dalal login hdfcsky` as a process
//! writing a private token file without printing a secret.

use std::io::Write;
use std::process::{Command, Stdio};

use dalal::broker::ErrorClass;
use dalal::broker::hdfcsky::{LoginError, LoginPrompt, SkyLogin, TokenClaims, USER_AGENT};
use dalal::config::Secret;
use dalal::sim::SkyAccount;

use crate::support::{SimHarness, ist, quiet_scenario};

struct Scripted {
    otp: String,
    pin: String,
    asked: Vec<String>,
}

impl Scripted {
    fn answering(otp: &str, pin: &str) -> Self {
        Scripted {
            otp: otp.into(),
            pin: pin.into(),
            asked: Vec::new(),
        }
    }
}

impl LoginPrompt for Scripted {
    fn otp(&mut self, sent_to: &str) -> Result<String, LoginError> {
        self.asked.push(format!("otp: {sent_to}"));
        Ok(self.otp.clone())
    }

    fn pin(&mut self, question: &str) -> Result<Secret, LoginError> {
        self.asked.push(format!("pin: {question}"));
        Ok(Secret::new(self.pin.clone()))
    }
}

async fn sim() -> SimHarness {
    SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 8, 45, 0), 1.0).await
}

fn login(sim: &SimHarness) -> SkyLogin {
    SkyLogin::new(
        sim.server.base_url(),
        Secret::new(SkyAccount::default().api_key),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_calls_with_a_scripted_otp_and_pin_give_a_token_that_the_api_accepts() {
    let sim = sim().await;
    let account = SkyAccount::default();
    let mut prompt = Scripted::answering(&account.otp, &account.pin);
    let secret = Secret::new(account.api_secret.clone());
    let token = login(&sim)
        .with_otp(&account.username, &secret, &mut prompt)
        .await
        .unwrap();

    assert_eq!(
        TokenClaims::read(&token).unwrap().client_id,
        account.client_id
    );
    assert!(
        prompt.asked[0].starts_with("otp: OTP sent to mobile"),
        "{:?}",
        prompt.asked
    );
    assert_eq!(prompt.asked[1], "pin: Please enter your 4-digit PIN");
    let profile = sim.sky_rest(token.expose()).profile().await.unwrap();
    assert_eq!(profile.user_id, account.client_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_otp_or_secret_stops_the_login_at_its_step() {
    let sim = sim().await;
    let account = SkyAccount::default();
    let secret = Secret::new(account.api_secret.clone());
    let mut wrong_otp = Scripted::answering("9999", &account.pin);
    let e = login(&sim)
        .with_otp(&account.username, &secret, &mut wrong_otp)
        .await
        .unwrap_err();
    let LoginError::Step { step, source, .. } = e else {
        panic!("a refused step: {e}");
    };
    assert_eq!((step, source.message.as_str()), (3, "Invalid OTP"));
    assert_eq!(
        wrong_otp.asked.len(),
        1,
        "the PIN is not asked after a wrong OTP"
    );

    let mut right = Scripted::answering(&account.otp, &account.pin);
    let e = login(&sim)
        .with_otp(
            &account.username,
            &Secret::new("not-the-secret"),
            &mut right,
        )
        .await
        .unwrap_err();
    let LoginError::Step { step, source, .. } = e else {
        panic!("a refused step: {e}");
    };
    assert_eq!((step, source.class), (6, ErrorClass::Auth));
}

/// A raw call as a browser or another tool would make it: the User-Agent and the app's key.
fn call(method: reqwest::Method, base: &url::Url, path_and_query: &str) -> reqwest::RequestBuilder {
    let mut url = base.join(path_and_query).unwrap();
    url.query_pairs_mut()
        .append_pair("api_key", &SkyAccount::default().api_key);
    reqwest::Client::new()
        .request(method, url)
        .header("User-Agent", USER_AGENT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_id_from_another_host_is_an_invalid_login_attempt() {
    let (uat, prod) = (sim().await, sim().await);
    let started: serde_json::Value = call(
        reqwest::Method::GET,
        &uat.server.base_url(),
        "/oapi/v1/login",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token_id = started["tokenId"].as_str().unwrap();
    let elsewhere = call(
        reqwest::Method::POST,
        &prod.server.base_url(),
        &format!("/oapi/v1/login-channel/validate?token_id={token_id}"),
    )
    .json(&serde_json::json!({"username": SkyAccount::default().username}))
    .send()
    .await
    .unwrap();
    assert_eq!(elsewhere.status().as_u16(), 401);
    let body: serde_json::Value = elsewhere.json().await.unwrap();
    assert_eq!(body["message"], "invalid login attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_login_ends_with_the_request_token_for_an_access_token() {
    let sim = sim().await;
    let account = SkyAccount::default();
    let base = sim.server.base_url();
    let login = login(&sim);
    assert_eq!(
        login.redirect_url().as_str(),
        format!("{base}oapi/v1/login?api_key={}", account.api_key)
    );
    // What HDFC Sky's pages do in the browser: the same steps, ending in a redirect with a request token.
    let json = |r: reqwest::Response| async move { r.json::<serde_json::Value>().await.unwrap() };
    let started = json(
        call(reqwest::Method::GET, &base, "/oapi/v1/login")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = started["tokenId"].as_str().unwrap().to_string();
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/oapi/v1/login-channel/validate",
            serde_json::json!({"username": account.username}),
        ),
        (
            reqwest::Method::PUT,
            "/oapi/v1/otp/validate",
            serde_json::json!({"otp": account.otp}),
        ),
    ] {
        let answer = call(method, &base, &format!("{path}?token_id={id}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    let pin = json(
        call(
            reqwest::Method::POST,
            &base,
            &format!("/oapi/v1/twofa/validate?token_id={id}"),
        )
        .json(&serde_json::json!({"answer": account.pin}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let first = pin["requestToken"].as_str().unwrap();
    let consent = json(
        call(
            reqwest::Method::GET,
            &base,
            &format!("/oapi/v1/authorise?token_id={id}&consent=True&request_token={first}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let redirected = consent["requestToken"].as_str().unwrap();
    assert_ne!(redirected, first, "consent issues a new request token");

    let secret = Secret::new(account.api_secret);
    let token = login
        .exchange_request_token(redirected, &secret)
        .await
        .unwrap();
    assert_eq!(
        TokenClaims::read(&token).unwrap().client_id,
        account.client_id
    );
    let again = login.exchange_request_token(redirected, &secret).await;
    assert!(again.is_err(), "a request token serves once");
}

#[test]
fn dalal_login_writes_a_private_token_file_and_never_prints_a_secret() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(sim());
    let account = SkyAccount::default();
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("data/hdfcsky.token");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args([
            "login",
            "hdfcsky",
            "--username",
            &account.username,
            "--base-url",
        ])
        .arg(sim.server.base_url().as_str())
        .arg("--token-file")
        .arg(&token_file)
        .current_dir(folder.path())
        .env("HDFCSKY_API_KEY", &account.api_key)
        .env("HDFCSKY_API_SECRET", &account.api_secret)
        .env_remove("DALAL_TOKEN_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write!(
        child.stdin.take().unwrap(),
        "{}\n{}\n",
        account.otp,
        account.pin
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("as SIM0001"), "{stdout}");
    assert!(stderr.contains("OTP: "), "the OTP is asked for: {stderr}");

    let token = std::fs::read_to_string(&token_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let printed = format!("{stdout}{stderr}");
    for secret in [
        token.trim(),
        account.api_secret.as_str(),
        account.api_key.as_str(),
    ] {
        assert!(!printed.contains(secret), "a secret was printed");
    }
    let pin_shown = printed
        .lines()
        .any(|l| l.trim() == account.pin || l.ends_with(&format!(" {}", account.pin)));
    assert!(!pin_shown, "the PIN was echoed: {printed}");
    let profile = runtime
        .block_on(sim.sky_rest(token.trim()).profile())
        .unwrap();
    assert_eq!(profile.user_id, account.client_id);
}
