//! `bitext clean` on real and hand-written articles: exactly the article text is left.

mod common;

use common::{bitext, fixture, shared_data};
use serde_json::Value;

fn clean(args: &[&std::ffi::OsStr]) -> (String, String, i32) {
    let out = bitext().arg("clean").args(args).output().expect("run bitext");
    (
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn reference_article_keeps_exactly_title_and_seven_body_paragraphs() {
    let Some(path) = shared_data("news/000_f808895ffe8f173f.txt") else {
        return;
    };
    let source = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = source.lines().collect();
    // Read by hand: line 1 is the headline, lines 6, 8, …, 18 are the seven body
    // paragraphs ("In Beijing's efforts…" to "…said Liu Meiying, …Development.");
    // everything else is page furniture. Lines are compared trimmed (one ends in a
    // no-break space).
    let expected: Vec<&str> = [1, 6, 8, 10, 12, 14, 16, 18]
        .iter()
        .map(|n| lines[n - 1].trim())
        .collect();
    assert!(expected[1].starts_with("In Beijing's efforts"));
    assert!(expected[7].ends_with("Development."));

    let (stdout, stderr, code) = clean(&[path.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{}\n\n", expected.join("\n\n")));

    let (json, _, _) = clean(&["--json".as_ref(), path.as_os_str()]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["date"], "March 30, 2021");
    assert_eq!(doc["lang"], "en");
    assert_eq!(doc["title"], expected[0]);
    assert_eq!(doc["paragraphs"].as_array().unwrap().len(), 7);
}

#[test]
fn chinese_site_debris_is_removed_and_date_kept() {
    let path = fixture("text/zh_debris.txt");
    let (stdout, stderr, code) = clean(&[path.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let expected = std::fs::read_to_string(fixture("text/zh_debris.clean.txt")).unwrap();
    assert_eq!(stdout.trim_end(), expected.trim_end());

    let (json, _, _) = clean(&["--json".as_ref(), path.as_os_str()]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["date"], "2021年03月30日");
    assert_eq!(doc["lang"], "zh");
}

#[test]
fn gbk_html_page_keeps_headline_and_article_paragraphs() {
    // Written by Python's str.encode("gbk"): a real GBK page with nav, footer, script.
    let path = fixture("text/zh_gbk.html");
    let (json, stderr, code) = clean(&["--json".as_ref(), path.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["title"], "北京发布数字经济新政策");
    assert_eq!(
        doc["paragraphs"],
        serde_json::json!([
            "北京市经济和信息化局副局长潘锋表示，北京将建设全球数字经济标杆城市。",
            "北京计划引进20个以上创新型龙头项目，预计年投资超过100亿元。"
        ])
    );
    assert_eq!(doc["date"], "2021-03-30");
}

#[test]
fn boilerplate_repeated_across_a_folder_is_removed_but_kept_in_a_lone_article() {
    let dir = tempfile::tempdir().unwrap();
    let footer = "Example Daily is published by Example Media Group in London.";
    for (i, story) in [
        "Rain fell across the city.",
        "The bridge reopened today.",
        "Markets rose on Monday.",
    ]
    .iter()
    .enumerate()
    {
        let text = format!("Story {i}\n\n{story} Officials welcomed the news.\n\n{footer}\n");
        std::fs::write(dir.path().join(format!("{i}.txt")), text).unwrap();
    }
    let (stdout, stderr, code) = clean(&[dir.path().as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains(footer), "{stdout}");
    assert!(stdout.contains("Markets rose on Monday. Officials welcomed the news."));

    let (alone, _, _) = clean(&[dir.path().join("0.txt").as_os_str()]);
    assert!(
        alone.contains(footer),
        "one article alone cannot show boilerplate"
    );
}

#[test]
fn output_folder_receives_one_file_per_article() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("text");
    let (_, stderr, code) = clean(&[input.as_os_str(), "-o".as_ref(), out.path().as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(out.path().join("zh_debris.txt")).unwrap();
    let expected = std::fs::read_to_string(fixture("text/zh_debris.clean.txt")).unwrap();
    assert_eq!(written, expected);
    assert!(out.path().join("zh_gbk.txt").exists());
}

#[test]
fn markdown_article_loses_markup_and_keeps_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("story.md");
    std::fs::write(
        &path,
        "# Rain returns to **Beijing**\n\n![photo](rain.jpg)\n\nHeavy rain fell on Monday, \
         [the weather bureau](https://example.org) said.\n\n* [Share](https://x.example)\n",
    )
    .unwrap();
    let (stdout, stderr, code) = clean(&[path.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Rain returns to Beijing\n\nHeavy rain fell on Monday, the weather bureau said.\n\n"
    );
}

#[test]
fn unknown_language_choice_is_a_usage_error() {
    let (_, stderr, code) = clean(&["--from".as_ref(), "fr".as_ref(), fixture("text").as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown language \"fr\" (expected en or zh)"),
        "{stderr}"
    );
}

#[test]
fn no_news_sentence_is_taken_for_debris() {
    // The WMT21 sources are real news text, one segment a line. Read as one article,
    // cleaning may drop headlines and bylines, but never a line that ends like a sentence.
    for name in ["newstest2021.en-zh.src.en", "newstest2021.zh-en.src.zh"] {
        let Some(source) = shared_data(&format!("wmt21/{name}")) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("news.txt");
        std::fs::copy(&source, &path).unwrap();
        let (json, stderr, code) = clean(&["--json".as_ref(), path.as_os_str()]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_str(&json).unwrap();
        let kept: Vec<&str> = doc["paragraphs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let text = std::fs::read_to_string(&source).unwrap();
        let sentences = text.lines().map(str::trim).filter(|l| {
            l.trim_end_matches(['"', '”', '’', ')'])
                .ends_with(['.', '!', '?', '。', '！', '？'])
        });
        let lost: Vec<&str> = sentences.filter(|l| !kept.contains(l)).collect();
        assert!(
            lost.is_empty(),
            "{name}: {} sentences lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
    }
}
