//! Helpers shared by the integration tests: the shipped files, IST instants, and throwaway config trees.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dalal::calendar::{MarketCalendar, ist_instant};
use dalal::config::BotConfig;
use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shipped_config() -> PathBuf {
    repo_root().join("config/dalal.toml")
}

/// The calendar exactly as the shipped config builds it.
pub fn shipped_calendar() -> MarketCalendar {
    let bot = BotConfig::load(&shipped_config()).expect("the shipped config is valid");
    MarketCalendar::new(bot.calendar)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The instant IST wall clocks read `h:mi:s` on `y-m-d`.
pub fn ist(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    ist_instant(date(y, m, d), NaiveTime::from_hms_opt(h, mi, s).unwrap())
}

/// A copy of the shipped config/, strategies/ layout in a temporary folder, for tests that break one file.
pub struct ConfigTree {
    dir: TempDir,
}

impl ConfigTree {
    pub fn shipped() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = repo_root();
        for rel in [
            "config/dalal.toml",
            "config/holidays/nse.toml",
            "strategies/continuation.toml",
        ] {
            let to = dir.path().join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(root.join(rel), to).unwrap();
        }
        ConfigTree { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config/dalal.toml")
    }

    /// Runs `dalal ARGS --config <this tree's>` in the tree's folder: its exit code, and stdout then stderr.
    pub fn dalal(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dalal"))
            .args(args)
            .arg("--config")
            .arg(self.config())
            .current_dir(self.root())
            .env_remove("DALAL_CONFIG")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }

    /// Replaces the first occurrence of `from` with `to` in the file at `rel`; the text must be there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let path = self.dir.path().join(rel);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    pub fn append(&self, rel: &str, extra: &str) -> &Self {
        let path = self.dir.path().join(rel);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
        self
    }

    /// The 1-based line of the first line in `rel` that contains `needle`.
    pub fn line_of(&self, rel: &str, needle: &str) -> usize {
        let text = fs::read_to_string(self.dir.path().join(rel)).unwrap();
        text.lines()
            .position(|l| l.contains(needle))
            .expect("needle present")
            + 1
    }
}

/// The first place two JSON documents differ, as a path with both values, for a readable failure.
pub fn json_difference(ours: &serde_json::Value, expected: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    fn walk(a: &Value, b: &Value, path: String) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(p, q, format!("{path}.{k}")),
                    (p, q) => Some(format!("{path}.{k}: ours {p:?}, expected {q:?}")),
                })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| walk(p, q, format!("{path}[{i}]"))),
            _ if a == b => None,
            _ => Some(format!("{path}: ours {a}, expected {b}")),
        }
    }
    walk(ours, expected, String::new())
}

/// A simulator on 127.0.0.1:0 whose clock starts at `start` and runs `speed` times real time.
pub struct SimHarness {
    pub server: dalal::sim::SimServer,
    /// The simulator's clock, for clients that must share its time.
    pub clock: dalal::calendar::Clock,
    /// How many times faster than real time the clock runs.
    pub speed: f64,
}

/// In HDFC Sky's form, a JWT whose `sub` is the simulated client: Upstox clients send it as an opaque token.
pub const SIM_TOKEN: &str = "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJTSU0wMDAxIiwicHVycG9zZSI6InRlc3RzIn0.sim-token-for-tests";
/// The token a trader gets by logging in again after `SIM_TOKEN` expired.
pub const RENEWED_TOKEN: &str = "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJTSU0wMDAxIiwicHVycG9zZSI6InJlbmV3ZWQifQ.sim-token-renewed";

impl SimHarness {
    pub async fn start(
        scenario: dalal::sim::Scenario,
        start: DateTime<Utc>,
        speed: f64,
    ) -> SimHarness {
        Self::start_with_calendar(scenario, start, speed, shipped_calendar()).await
    }

    /// A simulator trading by `calendar`, e.g. with a short special session to keep a whole day brief.
    pub async fn start_with_calendar(
        scenario: dalal::sim::Scenario,
        start: DateTime<Utc>,
        speed: f64,
        calendar: MarketCalendar,
    ) -> SimHarness {
        let app = dalal::sim::UpstoxApp::default();
        Self::start_with_app(scenario, start, speed, calendar, app).await
    }

    /// A simulator whose Upstox app (key, secret, registered redirect URI) is `upstox`.
    pub async fn start_with_app(
        scenario: dalal::sim::Scenario,
        start: DateTime<Utc>,
        speed: f64,
        calendar: MarketCalendar,
        upstox: dalal::sim::UpstoxApp,
    ) -> SimHarness {
        let clock: dalal::calendar::Clock = dalal::calendar::SimulatedClock::new(start, speed)
            .unwrap()
            .into();
        let settings = dalal::sim::SimSettings {
            token: SIM_TOKEN.into(),
            renewed_token: Some(RENEWED_TOKEN.into()),
            scenario,
            clock: clock.clone(),
            calendar,
            sky: dalal::sim::SkyAccount::default(),
            upstox,
        };
        let server = dalal::sim::SimServer::start("127.0.0.1:0".parse().unwrap(), settings)
            .await
            .unwrap();
        SimHarness {
            server,
            clock,
            speed,
        }
    }

    /// An HDFC Sky client of the simulator, with the simulated app's API key.
    pub fn sky_rest(&self, token: &str) -> dalal::broker::hdfcsky::HdfcSkyRest {
        let settings = dalal::broker::RestSettings::hdfcsky().single_attempt();
        dalal::broker::hdfcsky::HdfcSkyRest::new(
            self.server.base_url(),
            dalal::config::Secret::new(dalal::sim::SkyAccount::default().api_key),
            dalal::config::Secret::new(token),
            settings,
        )
        .unwrap()
    }

    /// A raw GET of HDFC Sky's `path` as its own samples send it (browser User-Agent, bare token, the simulated
    /// app's `api_key` before `query`): the status and the body, `Null` when the body is not JSON.
    pub async fn sky_get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
    ) -> (u16, serde_json::Value) {
        let mut url = self.server.base_url().join(path).unwrap();
        url.query_pairs_mut()
            .append_pair("api_key", &dalal::sim::SkyAccount::default().api_key)
            .extend_pairs(query);
        let answer = reqwest::Client::new()
            .get(url)
            .header("User-Agent", dalal::broker::hdfcsky::USER_AGENT)
            .header("Authorization", token)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let body = answer.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// The `data` of a successful `sky_get` with `SIM_TOKEN`.
    pub async fn sky_data(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let (status, body) = self.sky_get(path, query, SIM_TOKEN).await;
        assert_eq!(status, 200, "{path}: {body}");
        body["data"].clone()
    }

    pub fn rest(&self, token: &str) -> dalal::broker::upstox::UpstoxRest {
        self.rest_with(token, dalal::broker::upstox::RestSettings::default())
    }

    pub fn rest_with(
        &self,
        token: &str,
        settings: dalal::broker::upstox::RestSettings,
    ) -> dalal::broker::upstox::UpstoxRest {
        let hosts = dalal::broker::upstox::UpstoxHosts::single(self.server.base_url());
        dalal::broker::upstox::UpstoxRest::new(hosts, dalal::config::Secret::new(token), settings)
            .unwrap()
    }
}

/// The built-in instruments and seed with only the faults (or instruments) in `extra`, as TOML.
pub fn scenario_with(extra: &str) -> dalal::sim::Scenario {
    scenario_with_settings("", extra)
}

/// As `scenario_with`, with top-level `settings` (e.g. `trades_per_second = 10`) first.
pub fn scenario_with_settings(settings: &str, extra: &str) -> dalal::sim::Scenario {
    let built_in = dalal::sim::BUILT_IN_SCENARIO;
    let without_faults = &built_in[..built_in.find("[[fault]]").unwrap_or(built_in.len())];
    let text = format!("{settings}\n{without_faults}\n{extra}\n");
    dalal::sim::Scenario::parse("test scenario", &text).unwrap()
}

/// The built-in instruments and seed, without the built-in faults.
pub fn quiet_scenario() -> dalal::sim::Scenario {
    scenario_with("")
}
