//! The house's floors (ARCHITECTURE.md): a module may import only from its own floor or below,
//! and no two modules, nor two files of one module, import each other round a circle.
//!
//! Read from the source, not from the compiler: every `crate::name` a file of `src/` mentions
//! outside its tests is an import of `name`. Crude on purpose, so that it stays obvious what it
//! checks; an arrow up the floors is named with its file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. Keep in step with ARCHITECTURE.md.
const FLOORS: &[(&str, &[&str])] = &[
    (
        "ground",
        &[
            "vocab",
            "text",
            "clock",
            "seed",
            "http",
            "private_file",
            "redact",
            "logging",
            "service",
        ],
    ),
    ("config", &["config"]),
    ("feed", &["feed"]),
    ("archive", &["archive"]),
    ("error", &["error"]),
    (
        "decide",
        &[
            "ingest", "select", "compose", "cadence", "volume", "budget", "schedule",
        ],
    ),
    ("network", &["network"]),
    ("metrics", &["metrics"]),
    ("daemon", &["daemon"]),
    ("commands", &["commands"]),
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|(_, ms)| ms.contains(&module))
}

/// Every `.rs` file under `dir`, test-only files left out.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The file's text before its unit tests, which may reach anywhere.
fn code_of(text: &str) -> &str {
    let end = text.find("#[cfg(test)]\nmod tests {").unwrap_or(text.len());
    &text[..end]
}

/// The names `crate::` is followed by in one line, groups (`crate::{a, b::c}`) included.
fn crate_names(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for part in group.split(',') {
                names.push(word(part.trim()));
            }
        } else {
            names.push(word(rest));
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

fn word(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// (top module, file stem inside it) of a source path relative to `src/`.
fn place(rel: &Path) -> (String, String) {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let top = parts[0].clone();
    let file = parts.get(1).cloned().unwrap_or_else(|| "mod".into());
    (top, file)
}

#[test]
fn no_import_runs_up_a_floor_and_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut ups = Vec::new();
    let mut unplaced = BTreeSet::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut siblings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        if ["lib.rs", "main.rs", "cli.rs"]
            .iter()
            .any(|r| rel == Path::new(r))
        {
            continue; // the roof (the library's root, the binary and its arguments) sees all
        }
        let (top, file) = place(rel);
        let Some(own) = floor_of(&top) else {
            unplaced.insert(top.clone());
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in code_of(&text).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for name in crate_names(code) {
                if name == top {
                    continue;
                }
                match floor_of(&name) {
                    Some(f) if f > own => ups.push(format!(
                        "src/{}:{}: `{top}` ({}) imports `{name}` ({})",
                        rel.display(),
                        n + 1,
                        FLOORS[own].0,
                        FLOORS[f].0
                    )),
                    Some(_) => {
                        graph.entry(top.clone()).or_default().insert(name);
                    }
                    None => {
                        unplaced.insert(name);
                    }
                }
            }
            sibling_imports(&top, &file, code, &mut siblings);
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules on no floor (add them to FLOORS and ARCHITECTURE.md): {unplaced:?}"
    );
    assert!(ups.is_empty(), "imports up a floor:\n{}", ups.join("\n"));
    for g in [&graph, &siblings] {
        if let Some(circle) = find_circle(g) {
            panic!("import circle: {}", circle.join(" -> "));
        }
    }
}

/// Within one module, which file imports which sibling (`super::parse::…`): `mod.rs` is left
/// out, as it declares its files and they use its shared types.
fn sibling_imports(
    top: &str,
    file: &str,
    code: &str,
    out: &mut BTreeMap<String, BTreeSet<String>>,
) {
    if file == "mod" {
        return;
    }
    let prefixes = [format!("crate::{top}::"), "super::".to_string()];
    for prefix in &prefixes {
        for (i, _) in code.match_indices(prefix.as_str()) {
            let other = word(&code[i + prefix.len()..]);
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(top);
            let is_file = dir.join(format!("{other}.rs")).exists()
                || dir.join(&other).join("mod.rs").exists();
            if is_file && other != file {
                out.entry(format!("{top}/{file}"))
                    .or_default()
                    .insert(format!("{top}/{other}"));
            }
        }
    }
}

/// A circle in a directed graph, if there is one (depth-first search with colours).
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_check_sees_an_arrow_up_and_a_circle() {
    assert_eq!(
        crate_names("use crate::{config::Config, network::NetworkKind};"),
        ["config", "network"]
    );
    assert_eq!(crate_names("x: crate::daemon::Lane,"), ["daemon"]);
    assert!(floor_of("config") < floor_of("network"));
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_circle(&g).unwrap(), ["a", "b", "a"]);
    g.remove("b");
    assert!(find_circle(&g).is_none());
}
