//! A sweep: the strategy file's values varied over a grid (`--sweep qualify.gap_min_pct=0.3,0.5,0.8`, one
//! flag per key), each point a whole backtest of its own with its own journal, run on every core. A point's
//! strategy is the file's text with its keys set, checked exactly as a strategy file is, so a value the bot
//! would refuse is refused here too, naming the key.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use toml::{Table, Value};

/// One `--sweep key=a,b,c`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

impl std::str::FromStr for SweepAxis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key, values) = s.split_once('=').ok_or_else(|| {
            format!("`{s}` is not a sweep: write key=a,b,c (e.g. exit.target_r=1,1.5,2)")
        })?;
        let key = key.trim();
        let values: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if key.is_empty() || values.is_empty() {
            return Err(format!("`{s}` names no key or no values: write key=a,b,c"));
        }
        Ok(SweepAxis {
            key: key.to_string(),
            values,
        })
    }
}

/// One point of the grid: a value per swept key.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint(pub Vec<(String, String)>);

impl fmt::Display for SweepPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(" "))
    }
}

/// Every combination of the axes' values, the last axis varying fastest.
pub fn grid(axes: &[SweepAxis]) -> Vec<SweepPoint> {
    let mut points = vec![SweepPoint(Vec::new())];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|point| {
                axis.values.iter().map(move |value| {
                    let mut next = point.0.clone();
                    next.push((axis.key.clone(), value.clone()));
                    SweepPoint(next)
                })
            })
            .collect();
    }
    points
}

/// The strategy file's `text` with `point`'s keys set. A value is read as TOML (`0.5`, `true`, `"x"`), and as
/// a string when it is none (`or_break`).
pub fn apply(text: &str, point: &SweepPoint) -> Result<String, String> {
    let mut table: Table = text
        .parse()
        .map_err(|e| format!("the strategy file does not parse: {e}"))?;
    for (key, value) in &point.0 {
        let value = parse_value(value);
        let mut parts: Vec<&str> = key.split('.').collect();
        let leaf = parts.pop().unwrap_or_default();
        let mut at = &mut table;
        for part in parts {
            at = match at.get_mut(part) {
                Some(Value::Table(inner)) => inner,
                _ => return Err(format!("`{key}`: the strategy file has no [{part}] table")),
            };
        }
        if !at.contains_key(leaf) {
            return Err(format!("`{key}` is not a key of the strategy file"));
        }
        at.insert(leaf.to_string(), value);
    }
    toml::to_string(&table).map_err(|e| format!("cannot write the swept strategy: {e}"))
}

fn parse_value(text: &str) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// `run(i)` for every `i` below `count`, on `threads` threads each taking the next point as it finishes one
/// (points differ in how long they take); the answers in `i`'s order.
pub fn on_every_core<T: Send>(
    count: usize,
    threads: usize,
    run: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let answer = run(i);
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, answer));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, answer)| answer).collect()
}

/// The threads a sweep runs on: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_every_combination() {
        let axes: Vec<SweepAxis> = ["qualify.gap_min_pct=0.3,0.5,0.8", "exit.target_r=1,1.5,2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let points = grid(&axes);
        assert_eq!(points.len(), 9);
        assert_eq!(
            points[0].to_string(),
            "qualify.gap_min_pct=0.3 exit.target_r=1"
        );
        assert_eq!(
            points[8].to_string(),
            "qualify.gap_min_pct=0.8 exit.target_r=2"
        );
    }

    #[test]
    fn a_point_sets_its_keys_and_refuses_an_unknown_one() {
        let text =
            "direction = \"long_only\"\n[exit]\ntarget_r = 1.5\n[entry]\ntrigger = \"or_break\"\n";
        let point = SweepPoint(vec![
            ("exit.target_r".into(), "2".into()),
            ("entry.trigger".into(), "hold_beyond".into()),
        ]);
        let swept: Table = apply(text, &point).unwrap().parse().unwrap();
        assert_eq!(swept["exit"]["target_r"], Value::Integer(2));
        assert_eq!(
            swept["entry"]["trigger"],
            Value::String("hold_beyond".into())
        );
        let wrong = SweepPoint(vec![("exit.target".into(), "2".into())]);
        assert!(apply(text, &wrong).unwrap_err().contains("exit.target"));
        assert!("exit.target_r".parse::<SweepAxis>().is_err());
    }

    #[test]
    fn every_point_runs_once_and_answers_in_order() {
        let answers = on_every_core(27, 2, |i| i * i);
        assert_eq!(answers, (0..27).map(|i| i * i).collect::<Vec<_>>());
    }
}
