//! `bitext align` and `bitext run --pair-dir` share one library path for a document
//! pair (`align::document`): on the same articles and the same engine they give the
//! same pairs.

mod common;

use bitext::corpus::{read_corpus, Format, SentencePair};
use common::{bitext, fixture};
use std::path::Path;

const RAIN_EN: &str = "Rain in Beijing\n\nIt rained all day on Monday. Li Wei stayed at home with his \
family.\n\nThe city opened 12 shelters and 3,000 people used them. Snow is expected on Friday in the north.";
const RAIN_ZH: &str =
    "北京下雨\n\n周一下了一整天的雨。李伟和家人待在家里。\n\n本报记者从气象台获悉以下消息。\n\n\
全市开放了12个避难所，3000人使用了它们。北方周五预计有雪。";
const PORT_EN: &str = "Port traffic grows\n\nThe port handled 4.5 million containers in 2020, up 8 percent. \
Officials said exports to Europe rose fastest.\n\n\"We expect more growth,\" the director said.";
const PORT_ZH: &str =
    "港口运输量增长\n\n2020年，该港口处理了450万个集装箱，增长8%。官员说，对欧洲的出口增长最快。\
\n\n“我们预计会有更多增长，”主任说。";

/// The folders `en/` and `zh/` with two article pairs.
fn articles(dir: &Path) {
    for (lang, files) in [("en", [RAIN_EN, PORT_EN]), ("zh", [RAIN_ZH, PORT_ZH])] {
        std::fs::create_dir_all(dir.join(lang)).unwrap();
        for (name, text) in ["rain.txt", "port.txt"].iter().zip(files) {
            std::fs::write(dir.join(lang).join(name), text).unwrap();
        }
    }
}

fn ok(cmd: &mut std::process::Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Pairs without their document id (`run` names documents by path, `align` by stem).
fn texts(pairs: &[SentencePair]) -> Vec<SentencePair> {
    let anonymous = |p: &SentencePair| SentencePair {
        doc: String::new(),
        ..p.clone()
    };
    pairs.iter().map(anonymous).collect()
}

#[test]
fn align_and_run_with_a_pair_dir_give_the_same_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    articles(d);
    let model = fixture("marian/tiny-en-zh");
    ok(bitext()
        .arg("run")
        .arg(d.join("en"))
        .arg("-o")
        .arg(d.join("run"))
        .args(["--to", "zh", "--formats", "jsonl", "--threads", "1", "--pair-dir"])
        .arg(d.join("zh"))
        .arg("--model-dir")
        .arg(&model));
    let run = read_corpus(&d.join("run/corpus.jsonl"), Format::Jsonl).unwrap();

    for name in ["port", "rain"] {
        let out = d.join(format!("{name}.jsonl"));
        ok(bitext()
            .arg("align")
            .arg(d.join("en").join(format!("{name}.txt")))
            .arg(d.join("zh").join(format!("{name}.txt")))
            .args(["-f", "jsonl", "--threads", "1", "--model-dir"])
            .arg(&model)
            .arg("-o")
            .arg(&out));
        let aligned = read_corpus(&out, Format::Jsonl).unwrap();
        let from_run: Vec<SentencePair> = run
            .iter()
            .filter(|p| p.doc == format!("{name}.txt"))
            .cloned()
            .collect();
        assert!(aligned.len() >= 4, "{name}: {aligned:?}");
        assert!(aligned.iter().all(|p| p.doc == name));
        assert_eq!(texts(&aligned), texts(&from_run), "{name}");
    }

    // Folder mode pairs the same files by stem and gives the same pairs again.
    let out = d.join("folders.jsonl");
    ok(bitext()
        .arg("align")
        .arg("--src-dir")
        .arg(d.join("en"))
        .arg("--tgt-dir")
        .arg(d.join("zh"))
        .args(["-f", "jsonl", "--threads", "1", "--model-dir"])
        .arg(&model)
        .arg("-o")
        .arg(&out));
    let folders = read_corpus(&out, Format::Jsonl).unwrap();
    assert_eq!(texts(&folders), texts(&run));
}
