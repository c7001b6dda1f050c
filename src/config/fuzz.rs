//! Fuzz targets for the files a trader edits and dalal reads: dalal.toml, the strategy file and the holiday file
//! (each damaged while the other two stay valid, so loading goes as deep as it can), and simulator scenario
//! files. Every input must end in a loaded config or in `ConfigErrors` naming the problem; none may panic. See
//! `crate::fuzz_input` for how inputs are made and counted.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::Config;
use crate::fuzz_input::damaged_text;
use crate::sim::Scenario;

const DALAL_TOML: &str = include_str!("../../config/dalal.toml");
const STRATEGY_TOML: &str = include_str!("../../strategies/continuation.toml");
const HOLIDAYS_TOML: &str = include_str!("../../config/holidays/nse.toml");
const SCENARIO_TOML: &str = include_str!("../sim/default_scenario.toml");
const FAULTS_TOML: &str = concat!(
    include_str!("../sim/default_scenario.toml"),
    "\n[[fault]]\nkind = \"partial_fill\"\nfrom = \"09:20\"\nuntil = \"09:40\"\nfraction = 0.4\n\n\
                           [[fault]]\nkind = \"handshake_403\"\nfrom = \"09:00\"\n\n\
                           [[announce]]\ndate = \"2026-11-24\"\nname = \"closed\"\n"
);

thread_local! {
    /// One folder per test thread, laid out as shipped: `config/`, `config/holidays/`, `strategies/`.
    static FOLDER: tempfile::TempDir = {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir_all(dir.path().join("config/holidays")).expect("folders");
        std::fs::create_dir_all(dir.path().join("strategies")).expect("folders");
        dir
    };
}

/// Writes the three files (one of them damaged) and loads the config as `dalal run` does; true when it loads.
fn load_with(dalal: &str, strategy: &str, holidays: &str) -> bool {
    FOLDER.with(|dir| {
        let root: &Path = dir.path();
        let write = |relative: &str, text: &str| {
            let path: PathBuf = root.join(relative);
            std::fs::write(&path, text).expect("a temporary file");
            path
        };
        let config = write("config/dalal.toml", dalal);
        write("strategies/continuation.toml", strategy);
        write("config/holidays/nse.toml", holidays);
        Config::load(&config).is_ok()
    })
}

#[test]
fn the_undamaged_samples_load_so_damage_reaches_past_the_first_file() {
    assert!(load_with(DALAL_TOML, STRATEGY_TOML, HOLIDAYS_TOML));
    assert!(Scenario::parse("scenario.toml", SCENARIO_TOML).is_ok());
    assert!(Scenario::parse("scenario.toml", FAULTS_TOML).is_ok());
}

proptest! {
    #[test]
    fn fuzz_config_dalal_toml(text in damaged_text(&[DALAL_TOML])) {
        let _ = load_with(&text, STRATEGY_TOML, HOLIDAYS_TOML);
    }

    #[test]
    fn fuzz_config_strategy_toml(text in damaged_text(&[STRATEGY_TOML])) {
        let _ = load_with(DALAL_TOML, &text, HOLIDAYS_TOML);
    }

    #[test]
    fn fuzz_config_holiday_file(text in damaged_text(&[HOLIDAYS_TOML])) {
        let _ = load_with(DALAL_TOML, STRATEGY_TOML, &text);
    }

    #[test]
    fn fuzz_scenario_file(text in damaged_text(&[SCENARIO_TOML, FAULTS_TOML])) {
        let _ = Scenario::parse("scenario.toml", &text);
    }
}
