//! Serializer helpers for the protobuf JSON mapping (proto3 `MessageToDict`): int64 as decimal strings, enums by
//! name, zero values left out. Used only to show decoded frames in the form Upstox's own SDK shows them.

use std::collections::BTreeMap;

use serde::Serializer;
use serde::ser::SerializeMap;

use super::feed_proto::{DoubleValue, FrameType, MarketStatus, RequestMode};

/// A prost enumeration that knows its proto names.
pub trait NamedEnum: TryFrom<i32> {
    fn proto_name(self) -> &'static str;
}

impl NamedEnum for FrameType {
    fn proto_name(self) -> &'static str {
        self.name()
    }
}

impl NamedEnum for RequestMode {
    fn proto_name(self) -> &'static str {
        self.name()
    }
}

impl NamedEnum for MarketStatus {
    fn proto_name(self) -> &'static str {
        self.name()
    }
}

/// An enum by name; a value this schema does not know is shown as its number, as protobuf JSON does.
pub fn enum_name<E: NamedEnum, S: Serializer>(value: &i32, s: S) -> Result<S::Ok, S::Error> {
    match E::try_from(*value) {
        Ok(known) => s.serialize_str(known.proto_name()),
        Err(_) => s.serialize_i32(*value),
    }
}

pub fn enum_map<E: NamedEnum, S: Serializer>(
    map: &BTreeMap<String, i32>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_map(Some(map.len()))?;
    for (key, value) in map {
        match E::try_from(*value) {
            Ok(known) => out.serialize_entry(key, known.proto_name())?,
            Err(_) => out.serialize_entry(key, value)?,
        }
    }
    out.end()
}

pub fn int64_text<S: Serializer>(value: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A wrapper type shows as its bare value.
pub fn wrapped_f64<S: Serializer>(value: &Option<DoubleValue>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(w) => s.serialize_f64(w.value),
        None => s.serialize_none(),
    }
}

pub fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

pub fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

pub fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

pub fn is_false(v: &bool) -> bool {
    !*v
}
