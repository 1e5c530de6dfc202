//! The `act` (actor) claim of a delegated token (RFC 8693 §4.1): the party acting for the
//! subject, and inside it, as its own `act`, the one that acted before it. A token without one
//! is the subject's own.

use serde_json::{Map, Value};

use crate::error::{ClaimReason, Error, Result};

/// The most actors a chain may name: a token exchanged further is refused.
pub const MAX_ACTORS: usize = 8;

/// The delegation chain of a claims set: the current actor first, then each prior one (each
/// an actor's claims, its own nested `act` among them); empty when the token is not delegated.
/// An `act` that is not an object with a string `sub`, or nested past [`MAX_ACTORS`], is an
/// invalid `act` claim.
pub fn delegation_chain(claims: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>> {
    actors(claims.get("act"))
}

/// The chain of actors of a token whose `act` claim is `act` ([`delegation_chain`]).
pub fn actors(act: Option<&Value>) -> Result<Vec<&Map<String, Value>>> {
    let mut chain = Vec::new();
    let mut next = act;
    while let Some(act) = next {
        match act {
            Value::Object(actor)
                if chain.len() < MAX_ACTORS && actor.get("sub").is_some_and(Value::is_string) =>
            {
                chain.push(actor);
                next = actor.get("act");
            }
            _ => return Err(Error::invalid_claim("act", ClaimReason::Invalid)),
        }
    }
    Ok(chain)
}

/// The actor's `sub` (a string, once [`delegation_chain`] has taken the chain).
pub fn actor_sub(actor: &Map<String, Value>) -> &str {
    actor.get("sub").and_then(Value::as_str).unwrap_or_default()
}

/// Whether a resource takes delegated tokens (a verifier option).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegationRule {
    /// Only the subject's own tokens: a token with an `act` is refused.
    Refused,
    /// Only delegated tokens, whose current actor (`act.sub`) is one of `actors` (any, when
    /// empty).
    Required { actors: Vec<String> },
}

/// Checks a token's `act` claim (none: not delegated) against `rule`: a refusal is an `act`
/// claim check that says what the resource takes.
pub fn check_delegation(act: Option<&Value>, rule: &DelegationRule) -> Result<()> {
    let chain = actors(act)?;
    let refuse = |reason, detail: String| Error::ClaimValidationFailed {
        claim: "act".into(),
        reason,
        detail: Some(detail),
    };
    match (rule, chain.first()) {
        (DelegationRule::Refused, Some(_)) => Err(refuse(
            ClaimReason::CheckFailed,
            "delegated tokens are refused here".into(),
        )),
        (DelegationRule::Required { .. }, None) => Err(refuse(
            ClaimReason::Missing,
            "only delegated tokens are taken here".into(),
        )),
        (DelegationRule::Required { actors }, Some(actor)) if !actors.is_empty() => {
            let sub = actor_sub(actor);
            if actors.iter().any(|a| a == sub) {
                return Ok(());
            }
            Err(refuse(
                ClaimReason::CheckFailed,
                format!("the actor is \"{sub}\", not one of {}", actors.join(", ")),
            ))
        }
        _ => Ok(()),
    }
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
        let subs: Vec<&str> = chain.iter().map(|a| actor_sub(a)).collect();
        assert_eq!(subs, ["tool", "agent"]);
        assert_eq!(chain[0]["iss"], "https://as");
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
    fn a_resource_requires_or_refuses_delegation() {
        let own = map(json!({"sub": "u"}));
        let delegated = map(json!({"sub": "u", "act": {"sub": "mcp", "act": {"sub": "agent"}}}));
        let any = DelegationRule::Required { actors: Vec::new() };
        let by = |a: &str| DelegationRule::Required {
            actors: vec![a.into()],
        };
        let own = own.get("act");
        let delegated = delegated.get("act");
        assert!(check_delegation(own, &DelegationRule::Refused).is_ok());
        assert!(check_delegation(delegated, &any).is_ok());
        assert!(check_delegation(delegated, &by("mcp")).is_ok());
        for (act, rule) in [
            (delegated, DelegationRule::Refused),
            (own, any.clone()),
            (delegated, by("agent")),
        ] {
            let err = check_delegation(act, &rule).unwrap_err();
            assert_eq!(err.claim(), Some("act"), "{rule:?}");
        }
        let message = check_delegation(delegated, &by("agent"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("\"mcp\""), "{message}");
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
