//! Loading the shipped configuration, and every class of configuration error: each names its file, its key
//! and (where the key is in the file) its line.

use std::fs;

use dalal::config::{BotConfig, BrokerName, Config, ConfigErrorKind, ConfigErrors, Mode, Secrets};

use crate::support::{ConfigTree, shipped_config};

const DALAL: &str = "config/dalal.toml";
const STRATEGY: &str = "strategies/continuation.toml";
const HOLIDAYS: &str = "config/holidays/nse.toml";

fn load_errors(tree: &ConfigTree) -> ConfigErrors {
    Config::load(&tree.config()).expect_err("the edited config must be refused")
}

/// Asserts that `errors` holds one of `kind` at `key` in file `rel`, on `line` when given.
fn assert_error(
    errors: &ConfigErrors,
    kind: ConfigErrorKind,
    rel: &str,
    key: &str,
    line: Option<usize>,
) {
    let found = errors
        .iter()
        .find(|e| e.kind == kind && e.key.as_deref() == Some(key));
    let Some(e) = found else {
        panic!("no {kind:?} error for `{key}` in:\n{errors}");
    };
    assert!(
        e.file.ends_with(rel),
        "{key} reported in {} instead of {rel}",
        e.file.display()
    );
    if line.is_some() {
        assert_eq!(e.line, line, "line of {key}:\n{errors}");
    }
    assert!(!e.fix.is_empty());
    let shown = e.to_string();
    assert!(shown.contains(key) && shown.contains("fix:"), "{shown}");
}

#[test]
fn the_shipped_files_load_as_a_paper_day_on_the_simulator() {
    let config = Config::load(&shipped_config()).unwrap();
    assert_eq!(config.bot.broker, BrokerName::Sim);
    assert_eq!(config.bot.mode, Mode::Paper);
    assert_eq!(config.bot.universe.len(), 8);
    let reliance = &config.bot.universe[0];
    assert_eq!(
        reliance.upstox_key().unwrap().as_str(),
        "NSE_EQ|INE002A01018"
    );
    assert_eq!(config.bot.feed.poll_interval().as_millis(), 1000);
    assert!(config.strategy.instruments.is_empty());
    assert!(config.bot.calendar.shipped.holidays.len() >= 30);
    // The simulator needs no credentials at all.
    let none = Secrets::load(
        BrokerName::Sim,
        |_| None,
        &config.bot.path.with_file_name("no-such.env"),
    )
    .unwrap();
    assert_eq!(none.names().count(), 0);
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let tree = ConfigTree::shipped();
    tree.edit(DALAL, "stall_timeout_ms = 3000", "stall_timout_ms = 3000");
    let errors = load_errors(&tree);
    let line = tree.line_of(DALAL, "stall_timout_ms");
    assert_error(
        &errors,
        ConfigErrorKind::UnknownKey,
        DALAL,
        "feed.stall_timout_ms",
        Some(line),
    );
    assert!(
        errors
            .to_string()
            .contains("expected one of `poll_interval_ms`"),
        "{errors}"
    );
}

#[test]
fn an_unknown_key_inside_a_universe_entry_names_the_entry() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "symbol = \"INFY\"",
        "symbol = \"INFY\"\nticksize = 0.05",
    );
    let errors = load_errors(&tree);
    let line = tree.line_of(DALAL, "ticksize");
    assert_error(
        &errors,
        ConfigErrorKind::UnknownKey,
        DALAL,
        "universe[1].ticksize",
        Some(line),
    );
}

#[test]
fn a_wrong_type_is_named() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "max_open_positions = 3",
        "max_open_positions = \"three\"",
    );
    let errors = load_errors(&tree);
    let line = tree.line_of(DALAL, "max_open_positions");
    assert_error(
        &errors,
        ConfigErrorKind::WrongType,
        DALAL,
        "risk.max_open_positions",
        Some(line),
    );
}

#[test]
fn out_of_range_values_are_all_reported_at_once() {
    let tree = ConfigTree::shipped();
    tree.edit(DALAL, "poll_interval_ms = 1000", "poll_interval_ms = 5000")
        .edit(
            DALAL,
            "max_orders_per_second = 8",
            "max_orders_per_second = 12",
        )
        .edit(DALAL, "max_daily_loss = 5000", "max_daily_loss = -1");
    let errors = load_errors(&tree);
    for (key, needle) in [
        ("feed.poll_interval_ms", "poll_interval_ms = 5000"),
        ("risk.max_orders_per_second", "max_orders_per_second = 12"),
        ("risk.max_daily_loss", "max_daily_loss = -1"),
    ] {
        let line = tree.line_of(DALAL, needle);
        assert_error(&errors, ConfigErrorKind::OutOfRange, DALAL, key, Some(line));
    }
    assert!(
        errors
            .to_string()
            .contains("set it between 1000 ms and 2000 ms"),
        "{errors}"
    );
}

#[test]
fn an_unparseable_time_says_how_to_write_it() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "square_off_time = \"15:05\"",
        "square_off_time = \"3:05 pm\"",
    );
    let errors = load_errors(&tree);
    let line = tree.line_of(DALAL, "square_off_time");
    assert_error(
        &errors,
        ConfigErrorKind::WrongType,
        DALAL,
        "session.square_off_time",
        Some(line),
    );
    assert!(errors.to_string().contains("\"HH:MM\""), "{errors}");
}

#[test]
fn contradictions_between_keys_and_files_are_refused() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "square_off_time = \"15:05\"",
        "square_off_time = \"15:25\"",
    )
    .edit(
        STRATEGY,
        "last_entry_time = \"14:30\"",
        "last_entry_time = \"15:00\"",
    )
    .edit(
        STRATEGY,
        "instruments = []",
        "instruments = [\"RELIANCE\", \"WIPRO\"]",
    );
    let errors = load_errors(&tree);
    // F&O stocks leave continuous trading at 15:15 from Aug 2026.
    assert_error(
        &errors,
        ConfigErrorKind::Inconsistent,
        DALAL,
        "session.square_off_time",
        None,
    );
    // The strategy is stricter than the bot, never looser.
    assert_error(
        &errors,
        ConfigErrorKind::Inconsistent,
        STRATEGY,
        "time.last_entry_time",
        None,
    );
    assert_error(
        &errors,
        ConfigErrorKind::Inconsistent,
        STRATEGY,
        "instruments[1]",
        None,
    );
}

#[test]
fn a_mistyped_isin_fails_its_check_digit() {
    let tree = ConfigTree::shipped();
    tree.edit(DALAL, "isin = \"INE040A01034\"", "isin = \"INE040A01035\"");
    let errors = load_errors(&tree);
    let line = tree.line_of(DALAL, "INE040A01035");
    assert_error(
        &errors,
        ConfigErrorKind::WrongType,
        DALAL,
        "universe[2].isin",
        Some(line),
    );
    assert!(errors.to_string().contains("check digit"), "{errors}");
}

#[test]
fn a_real_broker_needs_its_instrument_keys() {
    let tree = ConfigTree::shipped();
    tree.edit(DALAL, "broker = \"sim\"", "broker = \"hdfcsky\"")
        .edit(DALAL, "hdfcsky_token = \"2885\"\n", "");
    let errors = load_errors(&tree);
    assert_error(
        &errors,
        ConfigErrorKind::MissingKey,
        DALAL,
        "universe[0]",
        None,
    );
    assert!(errors.to_string().contains("hdfcsky_token"), "{errors}");
}

#[test]
fn a_holiday_file_with_a_duplicate_or_malformed_date_is_refused() {
    let tree = ConfigTree::shipped();
    tree.append(
        HOLIDAYS,
        "[[holiday]]\ndate = \"2026-03-03\"\nname = \"Holi again\"",
    );
    let errors = load_errors(&tree);
    let line = tree.line_of(HOLIDAYS, "Holi again") - 1;
    let dup = errors
        .iter()
        .find(|e| e.kind == ConfigErrorKind::Inconsistent)
        .expect("a duplicate error");
    assert!(dup.file.ends_with(HOLIDAYS), "{errors}");
    assert_eq!(dup.line, Some(line), "{errors}");
    assert!(
        dup.problem.contains("2026-03-03 is listed twice"),
        "{errors}"
    );
    assert!(dup.key.as_deref().unwrap().ends_with(".date"), "{errors}");

    let tree = ConfigTree::shipped();
    tree.edit(HOLIDAYS, "date = \"2026-01-26\"", "date = \"2026-01-32\"");
    let errors = load_errors(&tree);
    let e = errors.iter().next().unwrap();
    assert_eq!(e.kind, ConfigErrorKind::WrongType);
    assert!(e.file.ends_with(HOLIDAYS));
    assert_eq!(
        e.line,
        Some(tree.line_of(HOLIDAYS, "2026-01-32")),
        "{errors}"
    );
    assert!(e.problem.contains("is not a date"), "{errors}");
}

#[test]
fn a_trader_can_add_a_holiday_and_reopen_a_date_from_dalal_toml() {
    let tree = ConfigTree::shipped();
    tree.append(
        DALAL,
        "[[calendar.holiday]]\ndate = 2026-12-31\nname = \"Surprise closure\"\n\n\
         [[calendar.special_session]]\ndate = \"2026-11-24\"\nname = \"Reopened\"",
    );
    let bot = BotConfig::load(&tree.config()).unwrap();
    let cal = dalal::calendar::MarketCalendar::new(bot.calendar);
    assert!(matches!(
        cal.day_plan(crate::support::date(2026, 12, 31)),
        dalal::calendar::DayPlan::Closed(_)
    ));
    assert!(matches!(
        cal.day_plan(crate::support::date(2026, 11, 24)),
        dalal::calendar::DayPlan::Open(_)
    ));
}

#[test]
fn a_special_session_with_half_its_times_is_refused() {
    let tree = ConfigTree::shipped();
    tree.append(
        DALAL,
        "[[calendar.special_session]]\ndate = \"2026-12-26\"\nname = \"Half\"\nopen = \"10:00\"",
    );
    let errors = load_errors(&tree);
    assert_error(
        &errors,
        ConfigErrorKind::MissingKey,
        DALAL,
        "calendar.special_session[0]",
        None,
    );
}

#[test]
fn a_syntax_error_is_located() {
    let tree = ConfigTree::shipped();
    tree.edit(DALAL, "[feed]", "[feed");
    let errors = load_errors(&tree);
    let e = errors.iter().next().unwrap();
    assert_eq!(e.kind, ConfigErrorKind::Syntax, "{errors}");
    assert_eq!(e.line, Some(tree.line_of(DALAL, "[feed")));
}

#[test]
fn a_missing_file_is_named() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "holidays_file = \"holidays/nse.toml\"",
        "holidays_file = \"holidays/bse.toml\"",
    );
    let errors = load_errors(&tree);
    let e = errors.iter().next().unwrap();
    assert_eq!(e.kind, ConfigErrorKind::Unreadable);
    assert!(e.file.ends_with("config/holidays/bse.toml"));
}

#[test]
fn a_secret_written_into_a_toml_file_is_refused_without_echoing_it() {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        "mode = \"paper\"",
        "mode = \"paper\"\naccess_token = \"eyJsecretvalue\"",
    );
    let errors = load_errors(&tree);
    assert_error(
        &errors,
        ConfigErrorKind::SecretInFile,
        DALAL,
        "access_token",
        None,
    );
    assert!(!errors.to_string().contains("eyJsecretvalue"), "{errors}");
}

#[test]
fn secrets_come_from_the_environment_first_then_a_private_dotenv() {
    let dir = tempfile::tempdir().unwrap();
    let dotenv = dir.path().join(".env");
    fs::write(
        &dotenv,
        "UPSTOX_ACCESS_TOKEN=from-file\nUPSTOX_API_KEY=key-from-file\n",
    )
    .unwrap();
    set_mode(&dotenv, 0o600);
    let env = |k: &str| (k == "UPSTOX_ACCESS_TOKEN").then(|| "from-env".to_string());
    let secrets = Secrets::load(BrokerName::Upstox, env, &dotenv).unwrap();
    let token = secrets.get("UPSTOX_ACCESS_TOKEN").unwrap();
    assert_eq!(token.expose(), "from-env");
    assert_eq!(
        secrets.get("UPSTOX_API_KEY").unwrap().expose(),
        "key-from-file"
    );
    assert_eq!(
        format!("{token:?} {token}"),
        "Secret(<redacted>) <redacted>"
    );
    assert!(!format!("{secrets:?}").contains("from-env"));

    let missing = Secrets::load(BrokerName::HdfcSky, |_| None, &dotenv).unwrap_err();
    let names: Vec<_> = missing.iter().filter_map(|e| e.key.clone()).collect();
    // The access token usually comes from the token file `dalal login hdfcsky` writes, so only the key is required.
    assert_eq!(names, ["HDFCSKY_API_KEY"]);
    assert!(
        missing
            .iter()
            .all(|e| e.kind == ConfigErrorKind::MissingSecret && e.fix.contains("export"))
    );

    set_mode(&dotenv, 0o644);
    let open = Secrets::load(BrokerName::Upstox, |_| None, &dotenv).unwrap_err();
    assert_eq!(open[0].kind, ConfigErrorKind::InsecurePermissions);
    assert!(open[0].fix.contains("chmod 600"));
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}
