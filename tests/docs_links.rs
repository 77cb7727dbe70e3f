//! Every relative link in README.md and docs/*.md points at a file or folder that exists.

use std::path::{Path, PathBuf};

/// The link targets of a Markdown text, `[text](target)`, outside fenced code blocks.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].trim().to_string());
            rest = &after[end + 1..];
        }
    }
    targets
}

/// The file a relative link names, or `None` for web links and links within the page.
fn local_path(page: &Path, target: &str) -> Option<PathBuf> {
    if target.contains("://") || target.starts_with("mailto:") || target.starts_with('#') {
        return None;
    }
    let file = target.split('#').next().unwrap_or(target);
    Some(page.parent().unwrap_or(Path::new(".")).join(file))
}

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page is UTF-8");
        for target in link_targets(&text) {
            if let Some(path) = local_path(&page, &target) {
                checked += 1;
                if !path.exists() {
                    broken.push(format!("{}: ({target})", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // The README links every docs page; a parser that finds nothing would pass vacuously.
    assert!(checked >= 10, "only {checked} relative links found");
}

#[test]
fn the_link_parser_finds_links_and_skips_code_and_web_links() {
    let text = "see [a](docs/a.md) and [b](b.md#part), [web](https://x.org)\n```\n[no](code.md)\n```\n";
    assert_eq!(link_targets(text), ["docs/a.md", "b.md#part", "https://x.org"]);
    let page = Path::new("docs/page.md");
    assert_eq!(local_path(page, "b.md#part"), Some(PathBuf::from("docs/b.md")));
    assert_eq!(local_path(page, "https://x.org"), None);
    assert_eq!(local_path(page, "#top"), None);
}

#[test]
fn the_readme_fits_on_a_few_screens() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines; move detail to docs/");
}
