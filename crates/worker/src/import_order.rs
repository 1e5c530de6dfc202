//! The Worker's modules import one another one way only: a test reads every source file's
//! `use crate::…` and `use super::…` lines and fails on a circle, naming it; the two ways in
//! (`edge`, `objects/`) are imported by nothing, and the call protocol (`calls/`) imports
//! nothing of the Worker's own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module (a file under `src/`, `a/b` for `a/b.rs` or `a/b/mod.rs`) and its source, tests
/// aside.
fn modules(dir: &Path, root: &Path, found: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            modules(&path, root, found);
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .expect("under src")
            .with_extension("");
        let name = relative.to_string_lossy().replace('\\', "/");
        let name = name.strip_suffix("/mod").unwrap_or(&name).to_owned();
        if [
            "lib",
            "handler_tests",
            "flow_tests",
            "delegation_tests",
            "signin_tests",
            "client_tests",
            "security_tests",
            "import_order",
            "objects/tests",
            "calls/tests",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        let code = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_owned();
        found.insert(name, code);
    }
}

/// The modules `code` (of module `module`) refers to, other than itself: through `use`
/// statements and through paths written inline (`crate::a::B`, `super::b::C`).
fn imports(module: &str, code: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
    let parent = module.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    let mut paths = Vec::new();
    for (prefix, base) in [
        ("crate::", String::new()),
        ("super::", parent.replace('/', "::")),
    ] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
                .unwrap_or(rest.len());
            let mut path = format!("{base}::{}", &rest[..end]);
            // `a::b::{c, d::e}`: each name under the braces is a path too.
            if let Some(open) = path.find("::{") {
                let close = rest.find('}').unwrap_or(rest.len());
                let names = &rest[end.min(close)..close];
                let first = path[open + 3..].to_owned();
                path.truncate(open);
                let listed = std::iter::once(first.as_str()).chain(names.split(','));
                for name in listed.map(str::trim).filter(|n| !n.is_empty()) {
                    paths.push(format!("{path}::{name}"));
                }
            }
            paths.push(path);
        }
    }
    let mut found = BTreeSet::new();
    {
        for path in paths {
            let parts: Vec<&str> = path.trim_start_matches("::").split("::").collect();
            let target = (1..=parts.len())
                .rev()
                .map(|n| parts[..n].join("/"))
                .find(|candidate| known.contains_key(candidate));
            if let Some(target) = target.filter(|t| t != module) {
                found.insert(target);
            }
        }
    }
    found
}

#[test]
fn the_workers_modules_import_one_another_one_way_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut known = BTreeMap::new();
    modules(&root, &root, &mut known);
    assert!(known.contains_key("calls") && known.contains_key("routes"));
    let graph: BTreeMap<&str, BTreeSet<String>> = known
        .iter()
        .map(|(module, code)| (module.as_str(), imports(module, code, &known)))
        .collect();
    // Depth-first: a module met again while it is on the path closes a circle.
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|m| *m == module) {
            panic!(
                "import circle: {}",
                path[at..].join(" -> ") + " -> " + module
            );
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            if let Some((name, _)) = graph.get_key_value(next.as_str()) {
                visit(name, graph, path, done);
            }
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
    // The call protocol is the bottom: it imports nothing of the Worker's own but its files.
    for (module, imports) in &graph {
        if *module == "calls" || module.starts_with("calls/") {
            let outside: Vec<&String> = imports
                .iter()
                .filter(|m| *m != "calls" && !m.starts_with("calls/"))
                .collect();
            assert!(outside.is_empty(), "{module} imports {outside:?}");
        }
    }
    // Handlers never import one another: the steps they share are the context's.
    for (module, imports) in &graph {
        if module.starts_with("handlers/") {
            let other: Vec<&String> = imports
                .iter()
                .filter(|m| m.starts_with("handlers"))
                .collect();
            assert!(other.is_empty(), "{module} imports the handlers {other:?}");
        }
    }
    // The two ways in, the runtime's requests (`edge`) and the objects' (`objects/`), are
    // imported by nothing: everything else is under them.
    for (module, imports) in &graph {
        let inward: Vec<&String> = imports
            .iter()
            .filter(|m| *m == "edge" || *m == "objects" || m.starts_with("objects/"))
            .filter(|_| !module.starts_with("objects"))
            .collect();
        assert!(inward.is_empty(), "{module} imports the way in {inward:?}");
    }
}
