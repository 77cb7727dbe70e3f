//! `bitext report` on the outputs of `run`, `run --pair-dir` and `merge`, and the page
//! as a person sees it: rendered by headless Chromium, with no console errors, the
//! manifest's counts on it, and a screenshot.

mod common;

use bitext::corpus::Format;
use bitext::pipeline::manifest::{BeadSide, Manifest};
use bitext::pipeline::RunOptions;
use bitext::text::Lang;
use bitext::translate::Engine;
use common::{bitext, fixture};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder with the English examples, one article with a Chinese counterpart in
/// `pair/` (the aligner fixture), and a Chinese article.
fn input_folders(dir: &Path) -> (PathBuf, PathBuf) {
    let (input, pair) = (dir.join("in"), dir.join("pair"));
    std::fs::create_dir_all(input.join("en")).unwrap();
    std::fs::create_dir_all(&pair).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(examples.join("en")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), input.join("en").join(entry.file_name())).unwrap();
    }
    std::fs::copy(examples.join("zh/tea-harvest.txt"), input.join("tea-harvest.txt")).unwrap();
    std::fs::copy(fixture("align/en.txt"), input.join("economy.txt")).unwrap();
    std::fs::copy(fixture("align/zh.txt"), pair.join("economy.txt")).unwrap();
    (input, pair)
}

/// Runs bitext with the tiny en→zh model and `args`, checking that it succeeds.
fn run(args: &[&std::ffi::OsStr]) {
    let out = bitext()
        .args(args)
        .arg("--model-dir")
        .arg(fixture("marian/tiny-en-zh"))
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn report(dir: &Path) -> String {
    let out = bitext().arg("report").arg(dir).arg("--quiet").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(dir.join("report.html")).unwrap()
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The text of the element with `id` in `html` (the page's counts are plain numbers).
fn by_id(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no element {id:?}"));
    let rest = &html[start..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    text[..text.find('<').unwrap()].to_string()
}

/// The manifest's counts are the page's, and the corpus holds as many pairs.
fn assert_counts_match(html: &str, m: &Manifest) {
    let t = &m.totals;
    for (id, expected) in [
        ("n-files", t.files),
        ("n-translated", t.translated),
        ("n-skipped", t.skipped),
        ("n-failed", t.failed),
        ("n-sentences", t.sentences),
        ("n-pairs", t.pairs),
        ("n-corpus-pairs", t.pairs),
        ("n-flagged", t.flagged),
    ] {
        assert_eq!(by_id(html, id), expected.to_string(), "{id}");
    }
    assert_eq!(by_id(html, "signature"), escaped(&m.engine.signature));
}

/// `text` as the page writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A self-contained page: nothing is fetched from elsewhere.
fn assert_self_contained(html: &str) {
    for outside in ["http://", "https://", "src=", "<link"] {
        assert!(!html.contains(outside), "the page refers to {outside}");
    }
}

#[test]
fn report_works_on_run_pair_dir_and_merge_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (input, pair) = input_folders(dir.path());

    let plain = dir.path().join("plain");
    run(&[
        "run".as_ref(),
        input.as_ref(),
        "-o".as_ref(),
        plain.as_ref(),
        "--report".as_ref(),
        // Unscored Marian pairs, whether or not e5 is cached here.
        "--no-score".as_ref(),
    ]);
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    let m = manifest(&plain);
    assert_counts_match(&html, &m);
    assert_self_contained(&html);
    // Marian does not check its answers: no scores, no histogram.
    assert_eq!(by_id(&html, "n-unscored"), m.totals.pairs.to_string());
    // Every translated article is shown side by side, every sentence next to its translation.
    let pairs =
        bitext::corpus::read_corpus(&plain.join("corpus.jsonl"), bitext::corpus::Format::Jsonl).unwrap();
    assert!(
        pairs.iter().all(|p| html.contains(&escaped(&p.src))),
        "a sentence is missing"
    );
    assert!(html.contains("id=\"a-en_2frail_2dlink_2etxt\""));

    let aligned = dir.path().join("aligned");
    run(&[
        "run".as_ref(),
        input.as_ref(),
        "-o".as_ref(),
        aligned.as_ref(),
        "--pair-dir".as_ref(),
        pair.as_ref(),
    ]);
    let html = report(&aligned);
    let m = manifest(&aligned);
    assert_counts_match(&html, &m);
    // One article aligned with its counterpart: every pair scored.
    assert_eq!((m.totals.translated, by_id(&html, "n-unscored")), (1, "0".into()));
    let below: usize = by_id(&html, "below-0.9").parse().unwrap();
    assert!(below <= m.totals.pairs);
    assert!(by_id(&html, "histogram").is_empty());

    let shards: Vec<PathBuf> = (0..2).map(|k| dir.path().join(format!("shard{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        let spec = format!("{k}/2");
        run(&[
            "run".as_ref(),
            input.as_ref(),
            "-o".as_ref(),
            shard.as_ref(),
            "--shard".as_ref(),
            spec.as_ref(),
        ]);
    }
    let merged = dir.path().join("merged");
    let out = bitext()
        .arg("merge")
        .args(&shards)
        .arg("-o")
        .arg(&merged)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = report(&merged);
    let m = manifest(&merged);
    assert_counts_match(&html, &m);
    let whole = manifest(&plain).totals;
    assert_eq!((m.totals.files, m.totals.pairs), (whole.files, whole.pairs));
}

/// Translates the sentences of the aligner fixture's Chinese text as its reference
/// translation does (and anything else into itself), so that the aligner has a true
/// lexical signal.
struct ReferenceEngine {
    known: std::collections::HashMap<String, String>,
}

impl ReferenceEngine {
    fn new() -> ReferenceEngine {
        let read = |rel| std::fs::read_to_string(fixture(rel)).unwrap();
        let (zh, en) = (read("align/zh.txt"), read("align/zh.trans"));
        let known = zh
            .lines()
            .map(str::to_string)
            .zip(en.lines().map(str::to_string))
            .collect();
        ReferenceEngine { known }
    }
}

impl Engine for ReferenceEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::Zh, Lang::En)
    }

    fn signature(&self) -> String {
        "reference|fixture=align/zh.trans".into()
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        Ok(sentences
            .iter()
            .map(|s| self.known.get(s).cloned().unwrap_or_else(|| s.clone()))
            .collect())
    }
}

/// A `--pair-dir` run, zh→en, of the aligner fixture (whose English text has a sentence
/// the Chinese lacks) and of the Chinese examples (which have no counterpart), with
/// its report: the output folder.
fn aligned_run(dir: &Path) -> PathBuf {
    let (input, pair, output) = (dir.join("zh"), dir.join("en"), dir.join("out"));
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&pair).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/zh");
    for entry in std::fs::read_dir(examples).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), input.join(entry.file_name())).unwrap();
    }
    std::fs::copy(fixture("align/zh.txt"), input.join("economy.txt")).unwrap();
    std::fs::copy(fixture("align/en.txt"), pair.join("economy.txt")).unwrap();
    let opts = RunOptions {
        input,
        output: output.clone(),
        engine_kind: "reference".into(),
        globs: Vec::new(),
        formats: vec![Format::Jsonl],
        shard: None,
        force: false,
        batch_size: 8,
        max_batch_tokens: 4096,
        chunk_sentences: 1000,
        progress: false,
        pair_dir: Some(pair),
        min_score: None,
    };
    bitext::pipeline::run(&opts, &mut ReferenceEngine::new(), None).unwrap();
    report(&output);
    output
}

#[test]
fn unaligned_sentences_are_in_the_manifest_and_on_the_page_next_to_their_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let out = aligned_run(dir.path());
    let m = manifest(&out);
    let economy = m.files.iter().find(|f| f.path == "economy.txt").unwrap();
    let unaligned: Vec<(BeadSide, &str)> = economy
        .unaligned
        .iter()
        .map(|u| (u.side, u.text.as_str()))
        .collect();
    assert_eq!(
        unaligned,
        vec![(BeadSide::Target, "The statistics were published in Beijing.")]
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_counts_match(&html, &m);
    let html = &html[html.find("<h2>Side by side").unwrap()..];
    let at = html.find("The statistics were published in Beijing.").unwrap();
    let row = &html[html[..at].rfind("<tr").unwrap()..at];
    assert!(
        row.contains("class=\"gap\"") && row.contains("unaligned (0-1)"),
        "{row}"
    );
    // Between the pairs of the sentences around it.
    let before = html.find("Consumption remains weak").unwrap();
    let after = html.find("The central bank said monetary policy").unwrap();
    assert!(before < at && at < after);
}

#[test]
fn report_of_a_folder_without_a_manifest_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = bitext().arg("report").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest.json"));
}

/// Headless Chromium with a fresh profile and nothing that reaches the network;
/// console messages go to stderr.
fn chromium(profile: &Path) -> Command {
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Lines of Chromium's log that report a console message (errors, CSP violations).
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_report_renders_in_chromium_without_errors_and_shows_the_manifest_counts() {
    if !Path::new(CHROMIUM).is_file() {
        eprintln!("SKIPPED: {CHROMIUM} is absent (apt-get install chromium)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = aligned_run(dir.path());
    let page = format!("file://{}", out.join("report.html").display());

    // The console check can fail: a page with a script error is reported.
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<html><body><script>noSuchFunction()</script></body></html>",
    )
    .unwrap();
    let shown = chromium(&dir.path().join("profile0"))
        .arg("--dump-dom")
        .arg(format!("file://{}", broken.display()))
        .output()
        .unwrap();
    assert!(
        console_lines(&shown.stderr)
            .iter()
            .any(|l| l.contains("noSuchFunction")),
        "Chromium did not report a script error; its log:\n{}",
        String::from_utf8_lossy(&shown.stderr)
    );

    let shown = chromium(&dir.path().join("profile1"))
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .unwrap();
    assert!(shown.status.success());
    assert_eq!(console_lines(&shown.stderr), Vec::<String>::new());
    let dom = String::from_utf8(shown.stdout).unwrap();
    // The page's script ran: it added the article filter.
    assert!(dom.contains("id=\"filter\""), "the script did not run");
    assert_counts_match(&dom, &manifest(&out));

    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    let shot = chromium(&dir.path().join("profile2"))
        .arg("--hide-scrollbars")
        .arg("--window-size=1100,900")
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(shot.status.success());
    assert_eq!(console_lines(&shot.stderr), Vec::<String>::new());
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", screenshot.display());
}
