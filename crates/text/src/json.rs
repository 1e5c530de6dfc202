//! JSON parsing that refuses duplicate member names at any depth. RFC 7515 §4 lets a parser
//! reject them, and accepting them lets two parsers disagree about what a token says.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;

/// Parses `bytes` as one JSON object with no repeated member names, without building a map or
/// copying a string that holds no escape: reading a few members of a token's claims builds
/// nothing else. The map, where one is wanted, is the core's (`edge_jwt_core::jose::json`).
pub fn parse_members(bytes: &[u8]) -> Option<Members<'_>> {
    match parse_borrowed(bytes)? {
        Borrowed::Object(members) => Some(members),
        _ => None,
    }
}

/// Parses any JSON value with no repeated member names, as [`parse_members`] does.
pub fn parse_borrowed(bytes: &[u8]) -> Option<Borrowed<'_>> {
    serde_json::from_slice::<StrictBorrowed>(bytes)
        .ok()
        .map(|value| value.0)
}

/// A JSON value whose strings borrow from the text it was read from, unless they hold escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Borrowed<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Borrowed<'a>>),
    Object(Members<'a>),
}

impl Borrowed<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Borrowed::String(text) => Some(text),
            _ => None,
        }
    }
}

/// An object's members, in the order written, no name repeated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Members<'a>(Vec<(Cow<'a, str>, Borrowed<'a>)>);

impl<'a> Members<'a> {
    pub fn get(&self, name: &str) -> Option<&Borrowed<'a>> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Borrowed<'a>)> {
        self.0.iter().map(|(name, value)| (name.as_ref(), value))
    }

    /// Whether a name is written twice (compared after unescaping, as a map would key them).
    fn repeats_a_name(&self) -> bool {
        let members = &self.0;
        // Pairs for the few members a JWT has; beyond that, a sorted list. An insertion moves
        // pointers (quadratic only in the members a bounded text can hold), which costs the
        // package's wasm less code than a sort or a set.
        if members.len() <= 16 {
            return (1..members.len())
                .any(|i| members[..i].iter().any(|(n, _)| *n == members[i].0));
        }
        let mut names: Vec<&str> = Vec::with_capacity(members.len());
        !members
            .iter()
            .all(|(name, _)| match names.binary_search(&name.as_ref()) {
                Ok(_) => false,
                Err(at) => {
                    names.insert(at, name);
                    true
                }
            })
    }
}

/// `text` as a JSON string literal (RFC 8259 §7): quotes, backslashes and control characters
/// escaped. Written by hand so that writing a little JSON does not pull serde_json's
/// serializer (and its float formatting) into the npm package's wasm.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let code = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[code >> 4]));
                out.push(char::from(HEX[code & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct StrictBorrowed<'a>(Borrowed<'a>);

impl<'de> Deserialize<'de> for StrictBorrowed<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(BorrowedVisitor)
            .map(StrictBorrowed)
    }
}

/// A member name, borrowed where the text holds no escape (serde's own `Cow<str>` always copies).
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }
}

struct BorrowedVisitor;

impl<'de> Visitor<'de> for BorrowedVisitor {
    type Value = Borrowed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Borrowed::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Borrowed::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Borrowed::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Number::from_f64(v)
            .map(Borrowed::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Borrowed::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Borrowed::String(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Borrowed::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictBorrowed(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Borrowed::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(Name(name)) = access.next_key()? {
            let StrictBorrowed(value) = access.next_value()?;
            members.push((name, value));
        }
        let members = Members(members);
        if members.repeats_a_name() {
            return Err(de::Error::custom("duplicate member name"));
        }
        Ok(Borrowed::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        let many: String = (0..40).map(|i| format!("\"m{i}\":{i},")).collect();
        assert!(parse_members(br#"{"a":1,"b":{"c":2}}"#).is_some());
        assert!(parse_members(format!("{{{many}\"z\":0}}").as_bytes()).is_some());
        for refused in [
            r#"{"a":1,"a":2}"#.to_owned(),
            r#"{"a":1,"\u0061":2}"#.to_owned(),
            r#"{"a":{"c":1,"c":1}}"#.to_owned(),
            r#"{"a":[{"c":1,"c":1}]}"#.to_owned(),
            format!("{{{many}\"m7\":0}}"),
            "[1,2]".to_owned(),
            "{} x".to_owned(),
        ] {
            assert!(parse_members(refused.as_bytes()).is_none(), "{refused}");
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let members = parse_members(br#"{"iss":"https://a.test","e":"\u0041"}"#).unwrap();
        assert!(matches!(
            members.get("iss"),
            Some(Borrowed::String(Cow::Borrowed("https://a.test")))
        ));
        assert!(matches!(members.get("e"), Some(Borrowed::String(Cow::Owned(e))) if e == "A"));
        assert!(members.get("x").is_none());
    }

    #[test]
    fn quoted_strings_read_back_as_themselves() {
        for text in [
            "",
            "plain",
            "a\"b\\c",
            "tab\there\nnewline\u{1}",
            "é ü 🙂",
            "</script>",
        ] {
            assert_eq!(serde_json::from_str::<String>(&quote(text)).unwrap(), text);
        }
    }
}
