//! Bad input: each case gets a one-line message naming the file, exit 1 when some
//! inputs failed but others were done, exit 2 when nothing could be done.

mod common;

use common::bitext;
use std::path::Path;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(subcommand: &str, paths: &[&Path]) -> Run {
    let out = bitext().arg(subcommand).args(paths).output().expect("run bitext");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts that `stderr` is exactly one line, naming `path` and saying `reason`.
fn assert_one_line_error(stderr: &str, path: &Path, reason: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert_eq!(lines[0], format!("bitext: {}: {reason}", path.display()));
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-article.txt");
    for subcommand in ["clean", "segment"] {
        let r = run(subcommand, &[&missing]);
        assert_eq!(r.code, 2);
        assert_one_line_error(&r.stderr, &missing, "No such file or directory (os error 2)");
    }
}

#[test]
fn folder_without_article_files_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.jpg"), b"\xFF\xD8\xFF").unwrap();
    let r = run("clean", &[dir.path()]);
    assert_eq!(r.code, 2);
    assert_one_line_error(
        &r.stderr,
        dir.path(),
        "no article files (looked for .txt, .md, .html, .htm)",
    );
}

#[test]
fn empty_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let blank = dir.path().join("blank.md");
    std::fs::write(&blank, " \n\n\t\n").unwrap();
    for path in [&empty, &blank] {
        let r = run("segment", &[path]);
        assert_eq!(r.code, 2);
        assert_one_line_error(&r.stderr, path, "empty file (no text to read)");
    }
}

#[test]
fn binary_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("archive.txt");
    std::fs::write(&binary, b"PK\x03\x04\x14\x00\x00\x00\x08\x00").unwrap();
    let r = run("clean", &[&binary]);
    assert_eq!(r.code, 2);
    assert_one_line_error(&r.stderr, &binary, "binary file (NUL byte at offset 5)");
}

#[test]
fn bytes_that_are_neither_utf8_nor_gbk_are_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.txt");
    // "café au lait" in Latin-1: 0xE9 followed by a space is invalid UTF-8 and invalid GB18030.
    std::fs::write(&latin1, b"caf\xE9 au lait\n").unwrap();
    let r = run("segment", &[&latin1]);
    assert_eq!(r.code, 2);
    assert_one_line_error(
        &r.stderr,
        &latin1,
        "not UTF-8, UTF-16 or GB18030/GBK text (invalid byte at offset 3)",
    );
}

#[test]
fn failing_files_do_not_stop_the_others_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.txt"),
        "Good headline\n\nThe first article is fine.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.txt"), b"\x00\x01binary").unwrap();
    std::fs::write(dir.path().join("c.txt"), "").unwrap();
    let r = run("segment", &[dir.path()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "Good headline\n\nThe first article is fine.\n\n");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines[0].contains("b.txt: binary file"), "{}", lines[0]);
    assert!(lines[1].contains("c.txt: empty file"), "{}", lines[1]);
}

#[test]
fn fifty_megabyte_line_without_punctuation_is_cut_into_bounded_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    let words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
    ];
    let line: String = words
        .iter()
        .cycle()
        .take(8_000_000)
        .map(|w| format!("{w} "))
        .collect::<String>();
    assert!(line.len() >= 50_000_000);
    std::fs::write(&path, &line).unwrap();

    let started = std::time::Instant::now();
    let r = run("segment", &[&path]);
    eprintln!("50 MB line segmented in {:.1?}", started.elapsed());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let chunks: Vec<&str> = r.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert!(chunks.iter().all(|c| c.chars().count() <= 1000));
    assert!(
        chunks.iter().all(|c| !c.starts_with(' ') && !c.ends_with(' ')),
        "chunks are cut at spaces"
    );
    assert_eq!(chunks.join(" "), line.trim_end(), "no text is lost");
    let stderr: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(stderr.len(), 1, "{}", r.stderr);
    assert!(stderr[0].contains(&format!(
        "{}: text without sentence punctuation was cut",
        path.display()
    )));
}
