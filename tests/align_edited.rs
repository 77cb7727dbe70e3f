//! Edited, not parallel, news: the Chinese edition drops a sentence and adds one of its
//! own. The aligner must leave both unaligned rather than pair them (issue 21), and
//! keep aligning parallel news as before.

mod common;

use common::read_lines;

use bitext::align::{align, AlignConfig, Side};
use bitext::eval::align_score::{parse_beads, score_documents, Bead};
use bitext::text::Lang;

/// English source with its machine translation against a Chinese side.
fn align_en_zh(en: &[String], mt: &[String], zh: &[String], config: &AlignConfig) -> Vec<Bead> {
    let src = Side {
        sentences: en,
        lang: Lang::En,
        translation: Some(mt),
    };
    let tgt = Side {
        sentences: zh,
        lang: Lang::Zh,
        translation: None,
    };
    let alignment = align(&src, &tgt, config).expect("aligns");
    alignment.beads.iter().map(Bead::from).collect()
}

/// `tests/fixtures/align/edited`: eight English sentences; in the Chinese side the
/// fifth (the mayor's answer) is replaced by an unrelated sentence about football.
#[test]
fn a_replaced_sentence_is_left_unaligned_on_both_sides() {
    let dir = common::fixture("align/edited");
    let (en, mt, zh) = (
        read_lines(&dir.join("en.txt")),
        read_lines(&dir.join("en.trans")),
        read_lines(&dir.join("zh.txt")),
    );
    let gold = parse_beads("[0]:[0]\n[1]:[1]\n[2]:[2]\n[3]:[3]\n[]:[4]\n[4]:[]\n[5]:[5]\n[6]:[6]\n[7]:[7]\n")
        .unwrap();
    let got = align_en_zh(&en, &mt, &zh, &AlignConfig::default());
    assert_eq!(got, gold);
    // Without the orphan term (the aligner before issue 21) the two are paired.
    let mut old = AlignConfig::default();
    old.weights.orphan = 0.0;
    let got = align_en_zh(&en, &mt, &zh, &old);
    assert!(got.contains(&parse_beads("[4]:[4]").unwrap()[0]), "{got:?}");
}

/// Parallel WMT21 en-zh news (source, reference A and the Online-B translation as MT)
/// cut into documents of 20 lines: every line is its own bead, and the aligner finds
/// them, with and without MT.
#[test]
fn parallel_news_stays_aligned_line_for_line() {
    let Some(root) = common::shared_data("wmt21") else {
        return;
    };
    let en = read_lines(&root.join("newstest2021.en-zh.src.en"));
    let zh = read_lines(&root.join("newstest2021.en-zh.ref.A.zh"));
    let mt = read_lines(&root.join("newstest2021.en-zh.hyp.Online-B.zh"));
    let docs: Vec<std::ops::Range<usize>> = (0..en.len() / 20).map(|d| d * 20..d * 20 + 20).collect();
    let gold: Vec<Vec<Bead>> = docs
        .iter()
        .map(|_| {
            (0..20)
                .map(|i| Bead {
                    src: vec![i],
                    tgt: vec![i],
                })
                .collect()
        })
        .collect();
    let config = AlignConfig::default();
    let with_mt: Vec<Vec<Bead>> = docs
        .iter()
        .map(|r| align_en_zh(&en[r.clone()], &mt[r.clone()], &zh[r.clone()], &config))
        .collect();
    let length_only: Vec<Vec<Bead>> = docs
        .iter()
        .map(|r| {
            let src = Side {
                sentences: &en[r.clone()],
                lang: Lang::En,
                translation: None,
            };
            let tgt = Side {
                sentences: &zh[r.clone()],
                lang: Lang::Zh,
                translation: None,
            };
            let a = align(&src, &tgt, &config).expect("aligns");
            a.beads.iter().map(Bead::from).collect()
        })
        .collect();
    for (name, test, least) in [("MT + length", &with_mt, 0.995), ("length", &length_only, 0.98)] {
        let s = score_documents(gold.iter().zip(test).map(|(g, t)| (&g[..], &t[..])));
        eprintln!("parallel WMT21 en-zh, {name}:\n{}", s.table());
        assert!(s.f1_strict >= least, "{name}: strict F1 {:.4}", s.f1_strict);
    }
}

/// The same article with two of its Chinese sentences (the ticket prices and the
/// opposition) moved to the end: the aligner pairs them out of order instead of leaving
/// them unaligned, and leaves the replaced sentence alone.
#[test]
fn a_moved_passage_is_paired_out_of_order() {
    let dir = common::fixture("align/edited");
    let (en, mt, mut zh) = (
        read_lines(&dir.join("en.txt")),
        read_lines(&dir.join("en.trans")),
        read_lines(&dir.join("zh.txt")),
    );
    let moved: Vec<String> = zh.drain(2..4).collect();
    zh.extend(moved);
    let gold = parse_beads("[0]:[0]\n[1]:[1]\n[2]:[6]\n[3]:[7]\n[]:[2]\n[4]:[]\n[5]:[3]\n[6]:[4]\n[7]:[5]\n")
        .unwrap();
    let got = align_en_zh(&en, &mt, &zh, &AlignConfig::default());
    assert_eq!(got, gold);
    let monotone = AlignConfig {
        moved_threshold: None,
        ..AlignConfig::default()
    };
    let got = align_en_zh(&en, &mt, &zh, &monotone);
    assert!(!got.contains(&gold[2]) && !got.contains(&gold[3]), "{got:?}");
}
