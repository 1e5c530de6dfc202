//! JSON read strictly (no repeated member names at any depth: RFC 7515 §4 lets a parser refuse
//! them, and accepting them lets two parsers disagree about what a token says), by the text
//! crate's one parser; here, its values as `serde_json`'s where a map is wanted. The
//! conversions live in the core, built for size, and not in the text crate, built for speed:
//! only the verifier's hot path reads values in place.

pub use edge_jwt_text::json::{parse_borrowed, parse_members, quote, Borrowed, Members};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON object with no repeated member names.
pub fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    parse_members(bytes).map(|members| to_map(&members))
}

/// Parses any JSON value with no repeated member names.
pub fn parse_value(bytes: &[u8]) -> Option<Value> {
    parse_borrowed(bytes).map(|value| to_value(&value))
}

/// The same value as a `serde_json::Value`.
pub fn to_value(value: &Borrowed) -> Value {
    match value {
        Borrowed::Null => Value::Null,
        Borrowed::Bool(b) => Value::Bool(*b),
        Borrowed::Number(n) => Value::Number(n.clone()),
        Borrowed::String(text) => Value::String(text.clone().into_owned()),
        Borrowed::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Borrowed::Object(members) => Value::Object(to_map(members)),
    }
}

/// The same members as a `serde_json` map.
pub fn to_map(members: &Members) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in members.iter() {
        map.insert(name.to_owned(), to_value(value));
    }
    map
}

/// `value` as compact JSON text, for messages: written here, small, so that the npm package's
/// wasm carries no JSON serializer for the few values its messages show.
pub fn render(value: &Value) -> String {
    let list = |items: Vec<String>| items.join(",");
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        // Integers exactly; a fraction by name only: formatting floats would add a float
        // formatter and its tables to the npm package's wasm for a message.
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.to_string(),
            (None, Some(i)) => i.to_string(),
            _ => "(a number with a fraction)".into(),
        },
        Value::String(text) => quote(text),
        Value::Array(items) => format!("[{}]", list(items.iter().map(render).collect())),
        Value::Object(map) => format!(
            "{{{}}}",
            list(
                map.iter()
                    .map(|(name, value)| format!("{}:{}", quote(name), render(value)))
                    .collect()
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_place_are_the_values_serde_json_reads() {
        let many: String = (0..40).map(|i| format!("\"m{i}\":{i},")).collect();
        for text in [
            r#"{"a":1,"b":{"c":2}}"#.to_owned(),
            r#"{"s":"\u00e9t\u00e9","n":-1.5e3,"i":-7,"u":18446744073709551615,"t":true,"z":null,"o":{"p":[1,"q",[]],"r":{}}}"#.to_owned(),
            format!("{{{many}\"z\":0}}"),
        ] {
            let expected: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parse_value(text.as_bytes()), Some(expected.clone()), "{text}");
            assert_eq!(parse_object(text.as_bytes()).map(Value::Object), Some(expected), "{text}");
        }
        assert_eq!(
            parse_value(b"[1,{\"a\":\"b\"}]"),
            Some(serde_json::json!([1, {"a": "b"}]))
        );
        assert!(parse_object(b"[1]").is_none());
        assert!(parse_value(br#"[{"a":1,"a":1}]"#).is_none());
    }

    #[test]
    fn rendered_values_read_back_as_themselves() {
        let value =
            serde_json::json!({"a": [1, -2, u64::MAX, "x\"y\n", null, true], "b": {}, "c": "é"});
        assert_eq!(
            serde_json::from_str::<Value>(&render(&value)).unwrap(),
            value
        );
        assert_eq!(render(&serde_json::json!(["admin", 7])), r#"["admin",7]"#);
        assert_eq!(
            render(&serde_json::json!(2.5)),
            "(a number with a fraction)"
        );
    }
}
