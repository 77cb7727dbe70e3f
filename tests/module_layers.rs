//! The layers of the crate hold in the code: a top-level module imports only modules of
//! a lower layer (the table in the README's Architecture section), so no two modules
//! import each other.

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules from the top layer down; a module may import the modules of the
/// layers after its own. `fsio` (atomic writes) is a utility every layer may use.
const LAYERS: &[&[&str]] = &[
    &["cli"],
    &["report"],
    &["pipeline"],
    &["align"],
    &["model"],
    &["translate"],
    &["corpus", "eval"],
    &["text"],
];
const UTILITIES: &[&str] = &["fsio"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules that `source` names through `crate::NAME`, outside comments.
fn imported_modules(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let name: String = rest[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
            rest = &rest[at + 7..];
        }
    }
    found
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (importing module, imported module, file) for every import that goes up or sideways.
fn violations(src: &Path) -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut bad = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let Some(first) = rel.components().next() else {
            continue;
        };
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = layer_of(&module) else { continue };
        let source = std::fs::read_to_string(&file).expect("UTF-8 source");
        for imported in imported_modules(&source) {
            if imported == module || UTILITIES.contains(&imported.as_str()) {
                continue;
            }
            match layer_of(&imported) {
                Some(layer) if layer > own => {}
                _ => bad.push((module.clone(), imported, rel.display().to_string())),
            }
        }
    }
    bad.sort();
    bad
}

#[test]
fn modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    let lines: Vec<String> = bad
        .iter()
        .map(|(from, to, file)| format!("{from} imports {to} (src/{file})"))
        .collect();
    assert!(
        lines.is_empty(),
        "imports against the layers:\n{}",
        lines.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    assert!(modules.len() >= 8, "found only {modules:?} in src/lib.rs");
    for module in modules {
        assert!(
            layer_of(module).is_some() || UTILITIES.contains(&module),
            "src/{module} is in no layer: add it to LAYERS here and to the README's table"
        );
    }
}

#[test]
fn imports_are_found_in_code_and_not_in_comments() {
    let source =
        "use crate::text::Lang;\n// see crate::pipeline\nlet e = crate::model::load(x); // crate::cli\n";
    let found: Vec<String> = imported_modules(source).into_iter().collect();
    assert_eq!(found, ["model", "text"]);
}
