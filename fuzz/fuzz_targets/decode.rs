//! Any bytes as a token, through the compact-JWS parser and the unverified decoder: never a
//! panic, and whatever parses was canonical base64url (one encoding per byte string).
#![no_main]

use edge_jwt_core::jose::{b64, CompactJws};
use edge_jwt_core::verify::decode_unverified;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jws) = CompactJws::parse(token, 8192) {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next(), parts.next(), parts.next());
        assert_eq!(payload, Some(b64::encode(&jws.payload).as_str()));
        assert_eq!(signature, Some(b64::encode(&jws.signature).as_str()));
        assert!(header.is_some_and(|h| jws.signing_input.starts_with(h)));
    }
    let _ = decode_unverified(token, 8192);
});
