//! Inputs for the fuzz targets of every decoder of outside input (feed frames, REST answers, login answers,
//! files): proptest strategies that start from a valid sample and damage it the ways a network or an editor
//! does (bits flipped, bytes inserted, deleted or cut off, pieces repeated), and JSON trees built from the field
//! names a broker uses, so type checks and conversions are reached and not only the first byte of a parser.
//!
//! Each target asserts only that its decoder returns (a value or a classified error) and never panics. The case
//! count is proptest's: `PROPTEST_CASES` (256 by default; `.ci/run` runs a short pass, the closing note of the
//! issue a million per target).

use proptest::prelude::*;
use serde_json::Value;

/// One way of damaging an input.
#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    CutAt { at: usize },
    Repeat { from: usize, len: usize, to: usize },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Damage::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Damage::Insert { at, byte }),
        any::<usize>().prop_map(|at| Damage::Delete { at }),
        any::<usize>().prop_map(|at| Damage::CutAt { at }),
        (any::<usize>(), 1usize..64, any::<usize>()).prop_map(|(from, len, to)| Damage::Repeat {
            from,
            len,
            to
        }),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let n = bytes.len();
        match *d {
            Damage::Flip { at, bit } if n > 0 => bytes[at % n] ^= 1 << bit,
            Damage::Insert { at, byte } => bytes.insert(at % (n + 1), byte),
            Damage::Delete { at } if n > 0 => {
                bytes.remove(at % n);
            }
            Damage::CutAt { at } => bytes.truncate(at % (n + 1)),
            Damage::Repeat { from, len, to } if n > 0 => {
                let start = from % n;
                let piece: Vec<u8> = bytes[start..(start + len).min(n)].to_vec();
                let at = to % (n + 1);
                bytes.splice(at..at, piece);
            }
            _ => {}
        }
    }
    bytes
}

/// A sample from `samples`, damaged up to eight times, or (one time in eight) bytes of no sample at all.
pub fn damaged(samples: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = samples.len();
    prop_oneof![
        7 => (0..count, prop::collection::vec(damage(), 0..8))
            .prop_map(move |(i, damages)| apply(samples[i].clone(), &damages)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// `damaged` as text, for decoders that take a string: damage that breaks UTF-8 is replaced, not dropped.
pub fn damaged_text(samples: &[&str]) -> impl Strategy<Value = String> {
    damaged(samples.iter().map(|s| s.as_bytes().to_vec()).collect())
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(0.05),
            Just(1e300),
            Just(-1e-300),
            any::<f64>()
        ]
        .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just(String::new()),
            Just("NSE_EQ|INE002A01018".to_string()),
            Just("complete".to_string()),
            Just("rejected".to_string()),
            Just("BUY".to_string()),
            Just("1016.05".to_string()),
            Just("2026-11-23 10:15:00".to_string()),
            Just("1700000000000".to_string()),
            "\\PC{0,12}",
        ]
        .prop_map(Value::String),
    ]
}

/// JSON trees whose object keys come from `keys` (a broker's field names) or are arbitrary, up to a few levels.
pub fn json_tree(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        9 => prop::sample::select(keys).prop_map(str::to_string),
        1 => "[a-z_]{1,10}",
    ];
    leaf().prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..10)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A REST answer body: one of `samples` damaged, or a JSON tree of the broker's field names `keys`, inside the
/// success envelope or bare.
pub fn answer_body(
    samples: &[&str],
    keys: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    let samples = samples.iter().map(|s| s.as_bytes().to_vec()).collect();
    prop_oneof![
        damaged(samples),
        (json_tree(keys), any::<bool>()).prop_map(|(tree, wrapped)| {
            let value = if wrapped {
                serde_json::json!({ "status": "success", "data": tree })
            } else {
                tree
            };
            serde_json::to_vec(&value).expect("a JSON value serializes")
        }),
    ]
}

/// An HTTP status a broker might answer with, weighted to success.
pub fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        6 => Just(200u16),
        1 => prop::sample::select(vec![201u16, 204, 400, 401, 403, 404, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}
