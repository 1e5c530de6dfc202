//! The `act` (actor) claim of a delegated token (RFC 8693 §4.1): the party acting for the
//! subject, and inside it, as its own `act`, the one that acted before it. A token without one
//! is the subject's own.

use serde_json::{Map, Value};

use crate::error::{ClaimReason, Error, Result};

/// The most actors a chain may name: a token exchanged further is refused.
pub const MAX_ACTORS: usize = 8;

/// The delegation chain of a claims set: the current actor first, then each prior one, each
/// an actor's claims without its nested `act`; empty when the token is not delegated. An `act`
/// that is not an object with a string `sub`, or nested past [`MAX_ACTORS`], is an invalid
/// `act` claim.
pub fn delegation_chain(claims: &Map<String, Value>) -> Result<Vec<Map<String, Value>>> {
    let mut chain = Vec::new();
    let mut next = claims.get("act");
    while let Some(act) = next {
        let actor = match act {
            Value::Object(actor) if actor.get("sub").is_some_and(Value::is_string) => actor,
            _ => return Err(Error::invalid_claim("act", ClaimReason::Invalid)),
        };
        if chain.len() == MAX_ACTORS {
            return Err(Error::invalid_claim("act", ClaimReason::Invalid));
        }
        let mut own = actor.clone();
        own.remove("act");
        chain.push(own);
        next = actor.get("act");
    }
    Ok(chain)
}

/// The `act` of a token that `actor` obtains for a token that carried `prior` (its own `act`,
/// if it was delegated already): the new actor, with the prior chain nested inside.
pub fn delegated_to(actor: &str, prior: Option<&Value>) -> Value {
    let mut act = Map::new();
    act.insert("sub".into(), Value::String(actor.to_owned()));
    if let Some(prior) = prior {
        act.insert("act".into(), prior.clone());
    }
    Value::Object(act)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_token_without_act_has_no_chain() {
        assert!(delegation_chain(&map(json!({"sub": "u"})))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_chain_lists_the_current_actor_first() {
        let claims = map(json!({
            "sub": "user",
            "act": {"sub": "tool", "iss": "https://as", "act": {"sub": "agent"}}
        }));
        let chain = delegation_chain(&claims).unwrap();
        assert_eq!(
            chain,
            vec![
                map(json!({"sub": "tool", "iss": "https://as"})),
                map(json!({"sub": "agent"}))
            ]
        );
    }

    #[test]
    fn a_malformed_act_is_an_invalid_claim() {
        for act in [json!("tool"), json!({"iss": "x"}), json!({"sub": 7})] {
            let err = delegation_chain(&map(json!({"act": act}))).unwrap_err();
            assert_eq!(err.claim(), Some("act"));
        }
    }

    #[test]
    fn a_chain_past_the_limit_is_refused() {
        let mut act = delegated_to("a0", None);
        for n in 1..MAX_ACTORS {
            act = delegated_to(&format!("a{n}"), Some(&act));
        }
        let claims = map(json!({ "act": act.clone() }));
        assert_eq!(delegation_chain(&claims).unwrap().len(), MAX_ACTORS);
        let deeper = map(json!({ "act": delegated_to("one-more", Some(&act)) }));
        assert!(delegation_chain(&deeper).is_err());
    }

    #[test]
    fn delegating_nests_the_prior_chain() {
        let prior = json!({"sub": "agent"});
        assert_eq!(
            delegated_to("tool", Some(&prior)),
            json!({"sub": "tool", "act": {"sub": "agent"}})
        );
        assert_eq!(delegated_to("tool", None), json!({"sub": "tool"}));
    }
}
