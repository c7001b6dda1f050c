//! Upstox's instrument master through `dalal instruments upstox` against the simulator: the universe looked up,
//! the master stored beside the journal, and a `[[universe]]` entry that gives its symbol alone then named by
//! the master, with the master's tick.

use std::process::{Command, Output};

use chrono::Utc;
use dalal::config::Config;
use rust_decimal::dec;

use crate::support::{ConfigTree, SimHarness, scenario_with};

fn dalal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .env_remove("DALAL_CONFIG")
        .env_remove("UPSTOX_ACCESS_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn a_universe_entry_by_symbol_alone_is_named_by_the_stored_master() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(SimHarness::start(scenario_with(""), Utc::now(), 1.0));
    let tree = ConfigTree::shipped();
    tree.edit(
        "config/dalal.toml",
        "broker = \"sim\"",
        "broker = \"upstox\"",
    )
    .edit("config/dalal.toml", "isin = \"INE002A01018\"\n", "");

    let refused = Config::load(&tree.config()).unwrap_err().to_string();
    assert!(
        refused.contains("NSE:RELIANCE") && refused.contains("dalal instruments upstox"),
        "{refused}"
    );

    let config_path = tree.config();
    let config_arg = config_path.to_str().unwrap();
    let base = sim.server.base_url();
    let out = dalal(&[
        "instruments",
        "upstox",
        "--base-url",
        base.as_str(),
        "--config",
        config_arg,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("NSE:RELIANCE     key NSE_EQ|INE002A01018, ISIN INE002A01018, tick 0.1, lot 1, freeze 100000"),
        "{text}"
    );
    assert!(
        text.contains("NSE:NHPC         key NSE_EQ|INE848E01016, ISIN INE848E01016, tick 0.01"),
        "{text}"
    );
    assert!(
        text.contains("8 cash equities"),
        "the futures and index rows are left out: {text}"
    );

    let config = Config::load(&tree.config()).unwrap();
    let reliance = &config.bot.universe[0];
    assert_eq!(reliance.id.symbol, "RELIANCE");
    assert_eq!(
        reliance.upstox_key().map(|k| k.to_string()),
        Some("NSE_EQ|INE002A01018".to_string())
    );
    assert_eq!(reliance.tick_size.map(|t| t.value()), Some(dec!(0.1)));
    assert_eq!(config.bot.ticks.from_master, 8);
    assert_eq!(config.bot.ticks.from_price_band, 0);

    let summary =
        String::from_utf8_lossy(&dalal(&["check-config", config_arg]).stdout).into_owned();
    assert!(
        summary.contains("tick sizes: 8 from the instrument master, 0 from dalal.toml, 0 from NSE's price-band table; master: the Upstox instrument master"),
        "{summary}"
    );
}
