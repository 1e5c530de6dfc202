//! What ties the JavaScript layer to the core, checked natively: the error codes the JS layer
//! declares (`js/errors.mjs`) and types (`js/index.d.ts`) are spelled as the core spells them,
//! and the type lists every code there is; no JS module but `errors.mjs` writes a code.

use std::collections::BTreeSet;
use std::path::Path;

use edge_jwt_core::ErrorCode;

fn js(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("js").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `'ERR_…'` string literal in `text`.
fn codes_in(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("ERR_") && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .map(str::to_owned)
        .collect()
}

/// The JS layer's own codes (not the core's).
const JS_ONLY: [&str; 5] = [
    "ERR_JWKS_FETCH_FAILED",
    "ERR_SESSION_ENDED",
    "ERR_REFRESH_FAILED",
    "ERR_REVOKE_FAILED",
    "ERR_DISCOVERY_FAILED",
];

#[test]
fn the_js_layers_codes_are_the_cores_or_its_own_and_the_type_lists_them_all() {
    let core: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let declared = codes_in(&js("errors.mjs"));
    assert!(!declared.is_empty());
    for code in &declared {
        assert!(
            core.contains(code) || JS_ONLY.contains(&code.as_str()),
            "errors.mjs declares {code}, which is neither the core's nor listed as the JS layer's own"
        );
    }
    let typed: BTreeSet<String> = codes_in(&js("index.d.ts").replace('"', "'"))
        .into_iter()
        .collect();
    let wanted: BTreeSet<String> = core
        .iter()
        .cloned()
        .chain(JS_ONLY.iter().map(|c| (*c).to_owned()))
        .collect();
    assert_eq!(typed, wanted, "index.d.ts's ErrorCode must list every code");
}

#[test]
fn no_js_module_but_errors_mjs_writes_a_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    for entry in std::fs::read_dir(&dir).expect("js/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".mjs") || name == "errors.mjs" {
            continue;
        }
        let codes = codes_in(&js(&name));
        assert!(
            codes.is_empty(),
            "{name} writes {codes:?}: use the class in errors.mjs"
        );
    }
}
