//! Corpus formats: what each one stores, lossless conversion between all of them,
//! TMX well-formedness, and errors on malformed input.

mod common;

use bitext::corpus::{read_corpus, write_corpus, Format, SentencePair};
use bitext::text::Lang;
use common::{bitext, fixture};
use quick_xml::events::Event;
use std::path::{Path, PathBuf};

/// Hand-written pairs with everything that can break a format: tabs, line breaks,
/// carriage returns, backslashes, XML markup and entities, CDATA terminators,
/// surrounding spaces, astral characters, both directions, merged beads, no score.
fn tricky_pairs() -> Vec<SentencePair> {
    read_corpus(&fixture("corpus/tricky.jsonl"), Format::Jsonl).expect("fixture parses")
}

/// Where a corpus of `format` goes in `dir`, as `bitext convert` names it.
fn path_for(dir: &Path, name: &str, format: Format) -> PathBuf {
    dir.join(format!("{name}.{}", format.extension()))
}

/// The path the library functions take (the stem for Moses).
fn lib_path(dir: &Path, name: &str, format: Format) -> PathBuf {
    match format {
        Format::Moses => dir.join(name),
        _ => path_for(dir, name, format),
    }
}

fn stored(pairs: &[SentencePair], format: Format) -> Vec<SentencePair> {
    pairs.iter().map(|p| p.as_stored_in(format)).collect()
}

#[test]
fn fixture_covers_both_directions_and_missing_scores() {
    let pairs = tricky_pairs();
    assert_eq!(pairs.len(), 7);
    assert!(pairs
        .iter()
        .any(|p| p.src_lang == Lang::Zh && p.tgt_lang == Lang::En));
    assert!(pairs.iter().any(|p| p.score.is_none()));
    assert!(pairs.iter().any(|p| p.src.contains('\r') && p.tgt.contains('\t')));
}

#[test]
fn jsonl_and_tmx_keep_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = tricky_pairs();
    for format in [Format::Jsonl, Format::Tmx] {
        let path = lib_path(dir.path(), "c", format);
        write_corpus(&path, format, &pairs).unwrap();
        assert_eq!(read_corpus(&path, format).unwrap(), pairs, "{format:?}");
    }
}

#[test]
fn tsv_keeps_texts_and_scores_and_detects_the_languages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tsv");
    let pairs = tricky_pairs();
    write_corpus(&path, Format::Tsv, &pairs).unwrap();
    let back = read_corpus(&path, Format::Tsv).unwrap();
    for (orig, read) in pairs.iter().zip(&back) {
        assert_eq!(
            (&read.src, &read.tgt, read.score),
            (&orig.src, &orig.tgt, orig.score)
        );
        assert_eq!((read.src_lang, read.tgt_lang), (orig.src_lang, orig.tgt_lang));
        assert!(read.doc.is_empty() && read.src_ids.is_empty() && read.tgt_ids.is_empty());
    }
    assert_eq!(back.len(), pairs.len());
}

#[test]
fn moses_keeps_the_english_and_chinese_texts_one_line_per_pair() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("c");
    let pairs = tricky_pairs();
    write_corpus(&stem, Format::Moses, &pairs).unwrap();
    for side in ["c.en", "c.zh"] {
        let text = std::fs::read_to_string(dir.path().join(side)).unwrap();
        assert_eq!(text.lines().count(), pairs.len(), "{side}");
    }
    let back = read_corpus(&stem, Format::Moses).unwrap();
    assert_eq!(back.len(), pairs.len());
    for (orig, read) in pairs.iter().zip(&back) {
        let (en, zh) = if orig.src_lang == Lang::En {
            (&orig.src, &orig.tgt)
        } else {
            (&orig.tgt, &orig.src)
        };
        assert_eq!((&read.src, &read.tgt), (en, zh));
        assert_eq!(
            (read.src_lang, read.tgt_lang, read.score),
            (Lang::En, Lang::Zh, None)
        );
    }
}

#[test]
fn tsv_and_moses_lines_follow_the_documented_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let pair = SentencePair {
        doc: "d".into(),
        src_lang: Lang::Zh,
        tgt_lang: Lang::En,
        src: "第一行\n第二行".into(),
        tgt: "a\tb \\ c\r".into(),
        src_ids: vec![0],
        tgt_ids: vec![0],
        score: Some(0.5),
    };
    write_corpus(
        &dir.path().join("c.tsv"),
        Format::Tsv,
        std::slice::from_ref(&pair),
    )
    .unwrap();
    let tsv = std::fs::read_to_string(dir.path().join("c.tsv")).unwrap();
    assert_eq!(tsv, "第一行\\n第二行\ta\\tb \\\\ c\\r\t0.5\n");
    write_corpus(&dir.path().join("c"), Format::Moses, &[pair]).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("c.en")).unwrap(),
        "a\\tb \\\\ c\\r\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("c.zh")).unwrap(),
        "第一行\\n第二行\n"
    );
}

#[test]
fn convert_between_every_pair_of_formats_keeps_what_both_hold() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = tricky_pairs();
    for from in Format::ALL {
        let input = path_for(dir.path(), &format!("in-{from:?}"), from);
        write_corpus(&lib_path(dir.path(), &format!("in-{from:?}"), from), from, &pairs).unwrap();
        for to in Format::ALL {
            let name = format!("out-{from:?}-{to:?}");
            let output = path_for(dir.path(), &name, to);
            let status = bitext().arg("convert").arg(&input).arg(&output).output().unwrap();
            assert!(
                status.status.success(),
                "{from:?} -> {to:?}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
            let back = read_corpus(&lib_path(dir.path(), &name, to), to).unwrap();
            assert_eq!(back, stored(&stored(&pairs, from), to), "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn convert_takes_explicit_formats_and_a_moses_stem() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = tricky_pairs();
    write_corpus(&dir.path().join("pair"), Format::Moses, &pairs).unwrap();
    let out = dir.path().join("out.txt");
    let run = bitext()
        .args(["convert", "--to", "jsonl"])
        .arg(dir.path().join("pair"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        read_corpus(&out, Format::Jsonl).unwrap(),
        stored(&pairs, Format::Moses)
    );

    let run = bitext()
        .args(["convert", "--from", "jsonl"])
        .arg(&out)
        .arg(dir.path().join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("x.csv") && err.contains("--to"), "{err}");
}

#[test]
fn tmx_is_well_formed_1_4b_with_the_required_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tmx");
    let pairs = tricky_pairs();
    write_corpus(&path, Format::Tmx, &pairs).unwrap();

    let mut reader = quick_xml::Reader::from_file(&path).unwrap();
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let (mut stack, mut header, mut langs, mut tus) = (Vec::<String>::new(), None, Vec::new(), 0);
    loop {
        let event = reader.read_event_into(&mut buf).expect("well-formed XML");
        let attrs = |e: &quick_xml::events::BytesStart| -> Vec<(String, String)> {
            e.attributes()
                .map(|a| {
                    let a = a.expect("well-formed attribute");
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                        a.unescape_value().unwrap().into_owned(),
                    )
                })
                .collect()
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                match name.as_str() {
                    "tmx" => {
                        assert!(stack.is_empty(), "tmx is the root");
                        assert_eq!(attrs(&e), vec![("version".into(), "1.4".into())]);
                    }
                    "header" => header = Some(attrs(&e)),
                    "tu" => tus += 1,
                    "tuv" => langs.push(attrs(&e)),
                    _ => {}
                }
                stack.push(name);
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let header = header.expect("a <header>");
    for key in [
        "creationtool",
        "creationtoolversion",
        "segtype",
        "srclang",
        "adminlang",
        "datatype",
        "o-tmf",
    ] {
        assert!(header.iter().any(|(k, _)| k == key), "header lacks {key}");
    }
    assert!(header.contains(&("segtype".into(), "sentence".into())));
    assert_eq!(tus, pairs.len());
    assert_eq!(langs.len(), 2 * pairs.len());
    for attrs in langs {
        let lang = &attrs.iter().find(|(k, _)| k == "xml:lang").expect("xml:lang").1;
        assert!(lang == "en" || lang == "zh-CN", "{lang}");
    }
}

/// Runs `bitext convert IN OUT.jsonl` and returns its stderr, asserting exit code 2.
fn convert_error(input: &Path, dir: &Path) -> String {
    let run = bitext()
        .arg("convert")
        .arg(input)
        .arg(dir.join("out.jsonl"))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!dir.join("out.jsonl").exists(), "no partial output");
    String::from_utf8_lossy(&run.stderr).into_owned()
}

#[test]
fn malformed_inputs_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("fields.tsv", b"a\tb\nc\td\t0.5\ne\tf\tg\th\n", "fields.tsv:3: expected 2 or 3"),
        ("score.tsv", b"a\tb\tnot-a-number\n", "score.tsv:1: score"),
        ("escape.tsv", b"a\tb\nc\\q\td\n", "escape.tsv:2: unknown escape \\q"),
        ("utf8.tsv", b"a\tb\n\xff\xfe\tc\n", "utf8.tsv:2: not valid UTF-8"),
        ("bad.jsonl", b"{\"doc\":\"\",\"src_lang\":\"en\",\"tgt_lang\":\"zh\",\"src\":\"a\",\"tgt\":\"b\",\"src_ids\":[],\"tgt_ids\":[],\"score\":null}\n{\"doc\": 3}\n", "bad.jsonl:2:"),
        ("unclosed.tmx", b"<?xml version=\"1.0\"?>\n<tmx version=\"1.4\">\n<header/>\n<body>\n<tu><tuv xml:lang=\"en\"><seg>a</tuv>\n</body></tmx>\n", "unclosed.tmx:5: malformed XML"),
        ("notmx.tmx", b"<html><body/></html>\n", "notmx.tmx:1: not a TMX file"),
    ];
    for (name, bytes, expected) in cases {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = convert_error(&path, d);
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    }

    std::fs::write(d.join("m.en"), "one\ntwo\nthree\n").unwrap();
    std::fs::write(d.join("m.zh"), "一\n二\n").unwrap();
    let err = convert_error(&d.join("m.en"), d);
    assert!(
        err.contains("m.en:3:") && err.contains("m.zh ends after 2 lines"),
        "{err}"
    );
}

#[test]
fn a_failed_conversion_leaves_the_previous_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tsv");
    std::fs::write(&out, "old\tcontent\n").unwrap();
    let input = dir.path().join("in.tsv");
    std::fs::write(&input, "good\tline\nbad line\n").unwrap();
    let run = bitext().arg("convert").arg(&input).arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\tcontent\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
}

#[test]
fn tmx_from_other_tools_is_read_by_language_with_inline_codes_dropped() {
    let pairs = read_corpus(&fixture("corpus/foreign.tmx"), Format::Tmx).unwrap();
    let got: Vec<(Lang, &str, Lang, &str)> = pairs
        .iter()
        .map(|p| (p.src_lang, p.src.as_str(), p.tgt_lang, p.tgt.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Lang::Zh, "价格上涨了3.5%。", Lang::En, "Prices rose by 3.5%."),
            (Lang::En, "A <raw> & literal text", Lang::Zh, "原样 文本"),
        ]
    );
    assert!(pairs
        .iter()
        .all(|p| p.doc.is_empty() && p.score.is_none() && p.src_ids.is_empty()));
}
