//! Any bytes through the core's strict JSON reader (`jose::json`, the one every token's header
//! and claims go through): it reads exactly what serde_json reads, and refuses exactly the
//! texts serde_json refuses and those where an object repeats a member name, at any depth.
#![no_main]

use edge_jwt_core::jose::json;
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::fmt;

fuzz_target!(|data: &[u8]| {
    let reference = serde_json::from_slice::<NoRepeatedNames>(data)
        .ok()
        .and_then(|_| serde_json::from_slice::<serde_json::Value>(data).ok());
    assert_eq!(json::parse_value(data), reference);
    let object = reference.filter(serde_json::Value::is_object);
    assert_eq!(
        json::parse_object(data).map(serde_json::Value::Object),
        object
    );
});

/// The oracle: a document none of whose objects repeats a member name (names compared as
/// serde_json decodes them), written without the reader under test.
struct NoRepeatedNames;

impl<'de> Deserialize<'de> for NoRepeatedNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(Oracle)
            .map(|()| NoRepeatedNames)
    }
}

struct Oracle;

impl<'de> Visitor<'de> for Oracle {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<NoRepeatedNames>()?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            map.next_value::<NoRepeatedNames>()?;
            names.push(name);
        }
        names.sort();
        if names.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(A::Error::custom("a repeated member name"));
        }
        Ok(())
    }
}
