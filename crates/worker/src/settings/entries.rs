//! What every list setting of remote parties (`EDGE_JWT_UPSTREAMS`, `EDGE_JWT_TRUSTED_ISSUERS`)
//! checks of its entries: URLs the Worker may fetch, and no entry named twice.

/// An `https` URL, or an `http` one on a loopback host.
pub fn fetchable(url: &str) -> bool {
    let loopback = ["http://127.0.0.1", "http://localhost"].iter().any(|base| {
        url.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
    });
    (url.starts_with("https://") && url.len() > 8) || loopback
}

/// Whether one of `names` (the entries' ids or issuers) is given twice.
pub fn named_twice<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.windows(2).any(|pair| pair[0] == pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_given_twice_are_found_wherever_they_stand() {
        assert!(!named_twice(["a", "b", "c"].into_iter()));
        assert!(named_twice(["a", "b", "a"].into_iter()));
        assert!(!named_twice(std::iter::empty()));
    }
}
