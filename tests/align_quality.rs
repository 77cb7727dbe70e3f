//! Alignment quality on shared data: mac-dev literary chapters (gold beads) and
//! synthetic news documents built from WMT21 (gold from the construction). Scores are
//! Vecalign's strict F1 (`bitext::eval::align_score`). Both skip without shared data.

mod common;

use common::read_lines;

use bitext::align::{align, align_embedded, AlignConfig, Alignment, Side};
use bitext::eval::align_score::{parse_beads, score_documents, AlignScores, Bead};
use bitext::model::embed::{CachedEmbedder, SentenceEmbedder};
use bitext::text::{segment::split_sentences, Lang};

/// A zh→en document with its gold alignment.
struct Doc {
    zh: Vec<String>,
    mt: Option<Vec<String>>,
    en: Vec<String>,
    gold: Vec<Bead>,
}

fn score(docs: &[Doc], config: &AlignConfig) -> AlignScores {
    score_with(docs, config, None)
}

fn score_with(docs: &[Doc], config: &AlignConfig, embedder: Option<&dyn SentenceEmbedder>) -> AlignScores {
    let tests = aligned(docs, config, embedder);
    score_documents(docs.iter().zip(&tests).map(|(d, t)| (&d.gold[..], &t[..])))
}

fn aligned(docs: &[Doc], config: &AlignConfig, embedder: Option<&dyn SentenceEmbedder>) -> Vec<Vec<Bead>> {
    alignments(docs, config, embedder)
        .iter()
        .map(|a| a.beads.iter().map(Bead::from).collect())
        .collect()
}

fn alignments(docs: &[Doc], config: &AlignConfig, embedder: Option<&dyn SentenceEmbedder>) -> Vec<Alignment> {
    docs.iter()
        .map(|d| {
            let src = Side {
                sentences: &d.zh,
                lang: Lang::Zh,
                translation: d.mt.as_deref(),
            };
            let tgt = Side {
                sentences: &d.en,
                lang: Lang::En,
                translation: None,
            };
            match embedder {
                Some(e) => align_embedded(&src, &tgt, config, e),
                None => align(&src, &tgt, config),
            }
            .expect("aligns")
        })
        .collect()
}

/// Gold beads the aligner missed, by shape `m-n`, as "missed/total": where errors are.
fn misses_by_shape(docs: &[Doc], config: &AlignConfig) -> String {
    let mut shapes: std::collections::BTreeMap<(usize, usize), (usize, usize)> = Default::default();
    for (doc, test) in docs.iter().zip(aligned(docs, config, None)) {
        for g in &doc.gold {
            let entry = shapes.entry((g.src.len(), g.tgt.len())).or_default();
            entry.1 += 1;
            if !test.contains(g) {
                entry.0 += 1;
            }
        }
    }
    shapes
        .iter()
        .map(|((m, n), (missed, total))| format!("{m}-{n}: {missed}/{total}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mac_dev(with_mt: bool) -> Option<Vec<Doc>> {
    mac_dev_chapters(&["001", "002", "003", "004", "005", "006"], with_mt)
}

fn mac_dev_chapters(chapters: &[&str], with_mt: bool) -> Option<Vec<Doc>> {
    let root = common::shared_data("mac-dev")?;
    let docs = chapters
        .iter()
        .map(|n| Doc {
            zh: read_lines(&root.join("zh").join(n)),
            mt: with_mt.then(|| read_lines(&root.join("zh").join(format!("{n}.trans")))),
            en: read_lines(&root.join("en").join(n)),
            gold: parse_beads(&std::fs::read_to_string(root.join(format!("gold/{n}.align"))).unwrap())
                .unwrap(),
        })
        .collect();
    Some(docs)
}

/// Best configuration with the `.trans` MT and lengths (defaults); this guards it
/// against regressions. `scripts/align/prototype.py --tune` found 0.867; the orphan
/// term (issue 21) left 0.864; splitting glued sentences off merged beads
/// and pairing moved passages ([`bitext::align::revise`]) cost this literary text 0.005 (short
/// lines of dialogue split off) for 0.05-0.07 strict precision on edited news.
const MAC_DEV_MT_STRICT_F1: f64 = 0.859;

#[test]
fn mac_dev_strict_f1_with_mt_and_length_holds() {
    let Some(docs) = mac_dev(true) else { return };
    let s = score(&docs, &AlignConfig::default());
    eprintln!("mac-dev MT + length:\n{}", s.table());
    assert!(
        (s.f1_strict - MAC_DEV_MT_STRICT_F1).abs() <= 0.005,
        "strict F1 {:.4}, expected {MAC_DEV_MT_STRICT_F1} ± 0.005",
        s.f1_strict
    );
    // Most remaining errors are bead boundaries, not content.
    assert!(s.f1_lax > 0.98, "lax F1 {:.4}", s.f1_lax);
}

/// Lengths and model-free anchors only ([`bitext::align::Weights::model_free`]).
const MAC_DEV_LENGTH_STRICT_F1: f64 = 0.650;

#[test]
fn mac_dev_length_only_holds_and_beats_gale_church() {
    let Some(docs) = mac_dev(false) else { return };
    let s = score(&docs, &AlignConfig::default());
    eprintln!("mac-dev length + anchors:\n{}", s.table());
    // Gale-Church scores 0.49 strict F1 on the MAC benchmark (issue 6).
    assert!(s.f1_strict > 0.49, "strict F1 {:.4}", s.f1_strict);
    assert!(
        (s.f1_strict - MAC_DEV_LENGTH_STRICT_F1).abs() <= 0.005,
        "strict F1 {:.4}, expected {MAC_DEV_LENGTH_STRICT_F1} ± 0.005",
        s.f1_strict
    );
}

/// SplitMix64: a seeded generator, so the synthetic documents never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// A target-side unit: text and the source segments it translates (`None`: inserted).
struct Unit {
    text: String,
    segs: Option<(usize, usize)>,
}

/// Runs of 20-60 WMT21 segments become documents: the Chinese source segments (with
/// the Online-B translation as MT) against the reference, segmented into sentences,
/// with 5% of segments deleted, an unrelated sentence inserted after 5% of segments,
/// and 10% of neighbouring sentences merged. Gold beads follow from the construction.
fn synthetic_wmt21(zh: &[String], mt: &[String], refs: &[String], seed: u64) -> Vec<Doc> {
    let mut rng = Rng(seed);
    let mut docs = Vec::new();
    let mut start = 0;
    while start + 20 <= zh.len() {
        let len = rng.between(20, 60).min(zh.len() - start);
        let range = start..start + len;
        let mut units: Vec<Unit> = Vec::new();
        for k in 0..len {
            if !rng.chance(0.05) {
                for s in split_sentences(&refs[start + k], Lang::En) {
                    units.push(Unit {
                        text: s,
                        segs: Some((k, k)),
                    });
                }
            }
            if rng.chance(0.05) {
                // A sentence from far away in the test set.
                let far = (start + k + zh.len() / 2) % zh.len();
                units.push(Unit {
                    text: refs[far].clone(),
                    segs: None,
                });
            }
        }
        let mut merged: Vec<Unit> = Vec::new();
        for u in units {
            match (merged.last_mut(), u.segs) {
                (Some(last), Some((lo, hi))) if last.segs.is_some() && rng.chance(0.1) => {
                    let (a, _) = last.segs.unwrap();
                    last.text = format!("{} {}", last.text, u.text);
                    last.segs = Some((a.min(lo), hi));
                }
                _ => merged.push(u),
            }
        }
        docs.push(Doc {
            zh: zh[range.clone()].to_vec(),
            mt: Some(mt[range].to_vec()),
            en: merged.iter().map(|u| u.text.clone()).collect(),
            gold: gold_beads(&merged, len),
        });
        start += len;
    }
    docs
}

/// Beads of a constructed document: units sharing source segments form one bead,
/// segments without units are deletions, inserted units stand alone.
fn gold_beads(units: &[Unit], segments: usize) -> Vec<Bead> {
    let mut beads = Vec::new();
    let mut open: Option<(usize, usize, Vec<usize>)> = None;
    let mut covered = vec![false; segments];
    for (i, u) in units.iter().enumerate() {
        match (u.segs, open.as_mut()) {
            (Some((lo, hi)), Some((_, ohi, tgt))) if lo <= *ohi => {
                *ohi = (*ohi).max(hi);
                tgt.push(i);
            }
            (Some((lo, hi)), _) => {
                beads.extend(open.take().map(|(a, b, tgt)| Bead {
                    src: (a..=b).collect(),
                    tgt,
                }));
                open = Some((lo, hi, vec![i]));
            }
            (None, _) => {
                beads.extend(open.take().map(|(a, b, tgt)| Bead {
                    src: (a..=b).collect(),
                    tgt,
                }));
                beads.push(Bead {
                    src: vec![],
                    tgt: vec![i],
                });
            }
        }
        if let Some((lo, hi)) = u.segs {
            covered[lo..=hi].iter_mut().for_each(|c| *c = true);
        }
    }
    beads.extend(open.take().map(|(a, b, tgt)| Bead {
        src: (a..=b).collect(),
        tgt,
    }));
    for (k, _) in covered.iter().enumerate().filter(|(_, c)| !**c) {
        beads.push(Bead {
            src: vec![k],
            tgt: vec![],
        });
    }
    beads
}

#[test]
fn gold_of_a_constructed_document_follows_merges_deletions_and_insertions() {
    let unit = |segs| Unit {
        text: String::new(),
        segs,
    };
    // Segment 0 → units 0,1; segment 1 deleted; segments 2,3 merged into unit 2;
    // unit 3 inserted; segment 4 → unit 4.
    let units = [
        unit(Some((0, 0))),
        unit(Some((0, 0))),
        unit(Some((2, 3))),
        unit(None),
        unit(Some((4, 4))),
    ];
    let mut got = gold_beads(&units, 5);
    got.sort();
    let mut want = parse_beads("[0]:[0,1]\n[1]:[]\n[2,3]:[2]\n[]:[3]\n[4]:[4]").unwrap();
    want.sort();
    assert_eq!(got, want);
}

/// Issue 6's target for the synthetic news documents with MT and length, lowered by
/// issue 21. The default weights scored 0.976 before issue 21's orphan skip cost and
/// score 0.969 with it: the cost, which leaves sentences that match nothing nearby
/// unaligned (held-out edited news 0.890 → 0.926 with MT), also splits some of this
/// set's 2-1 beads into 1-1 + 1-0. The remaining misses are mostly those and 0-1/1-0
/// beads: an inserted sentence merged into its neighbour's bead, or paired with a
/// deleted one.
const SYNTHETIC_STRICT_F1: f64 = 0.965;

/// The synthetic news documents built from WMT21 zh-en (seed 2021), or `None` without
/// shared data.
fn synthetic_news() -> Option<Vec<Doc>> {
    let root = common::shared_data("wmt21")?;
    let zh = read_lines(&root.join("newstest2021.zh-en.src.zh"));
    let mt = read_lines(&root.join("newstest2021.zh-en.hyp.Online-B.en"));
    let refs = read_lines(&root.join("newstest2021.zh-en.ref.A.en"));
    Some(synthetic_wmt21(&zh, &mt, &refs, 2021))
}

#[test]
fn synthetic_wmt21_news_documents_hold_their_strict_f1() {
    let Some(docs) = synthetic_news() else {
        return;
    };
    assert!(docs.len() >= 30, "{} documents", docs.len());
    let s = score(&docs, &AlignConfig::default());
    eprintln!(
        "synthetic wmt21 ({} documents):\n{}\nmissed gold beads: {}",
        docs.len(),
        s.table(),
        misses_by_shape(&docs, &AlignConfig::default())
    );
    assert!(
        s.f1_strict >= SYNTHETIC_STRICT_F1,
        "strict F1 {:.4}, expected at least {SYNTHETIC_STRICT_F1}",
        s.f1_strict
    );
}

/// The pair scores are calibrated probabilities (issue 21): on the synthetic news
/// documents, which the calibration was not fitted on, pairs scored 0.5 or more are
/// right at least 90% of the time, and right pairs score higher than wrong ones.
#[test]
fn synthetic_wmt21_news_pair_scores_are_calibrated() {
    let Some(docs) = synthetic_news() else {
        return;
    };
    let mut scored: Vec<(f64, bool)> = Vec::new();
    for (doc, alignment) in docs.iter().zip(alignments(&docs, &AlignConfig::default(), None)) {
        scored.extend(
            alignment
                .beads
                .iter()
                .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
                .map(|b| (b.score, doc.gold.contains(&Bead::from(b)))),
        );
    }
    let share_right = |pairs: Vec<&(f64, bool)>| {
        let n = pairs.len();
        (
            pairs.iter().filter(|(_, right)| *right).count() as f64 / n.max(1) as f64,
            n,
        )
    };
    let (high, n_high) = share_right(scored.iter().filter(|(s, _)| *s >= 0.5).collect());
    let (low, n_low) = share_right(scored.iter().filter(|(s, _)| *s < 0.5).collect());
    let mean = |right: bool| {
        let v: Vec<f64> = scored
            .iter()
            .filter(|(_, r)| *r == right)
            .map(|(s, _)| *s)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    eprintln!(
        "synthetic wmt21, MT: {n_high} pairs scored >= 0.5, {high:.3} right; {n_low} below, {low:.3} right; \
         mean score right {:.3}, wrong {:.3}",
        mean(true),
        mean(false)
    );
    assert!(high >= 0.9, "pairs scored >= 0.5: {high:.3} right");
    assert!(
        mean(true) > mean(false) + 0.05,
        "right {:.3}, wrong {:.3}",
        mean(true),
        mean(false)
    );
}

/// e5-small from the model cache behind the default embedding cache (so a second run
/// embeds nothing), or `None` with a visible notice when the model is not cached.
fn cached_e5() -> Option<CachedEmbedder> {
    let model = common::cached_e5()?;
    let cache = bitext::model::cache_dir().join("embeddings");
    Some(CachedEmbedder::open(model, &cache).expect("the embedding cache opens"))
}

/// The chapters the embedding test aligns: the smallest one. With a cold embedding
/// cache, embedding its sentences (and, with `embed_span` 3, the blocks of two or three
/// around uncertain beads) takes a minute or more on two cores; warm, seconds.
const EMBED_CHAPTERS: [&str; 1] = ["006"];

/// Length, `.trans` MT, embeddings and anchors, with the combined weights that
/// `scripts/align/tune.py --embed` found best on all of mac-dev (0.874 there, scored before
/// `eval align` followed `score.py`'s recall, against 0.867 for MT + length), on
/// [`EMBED_CHAPTERS`] alone, single sentences embedded (`embed_span` 1, the default).
const MAC_DEV_COMBINED_STRICT_F1: f64 = 0.888;

/// The same with blocks of up to three sentences embedded around uncertain beads.
const MAC_DEV_COMBINED_SPAN3_STRICT_F1: f64 = 0.880;

/// The MT + length configuration on the same chapter.
const MAC_DEV_MT_CHAPTERS_STRICT_F1: f64 = 0.874;

#[test]
fn mac_dev_all_combined_holds_its_strict_f1() {
    let Some(docs) = mac_dev_chapters(&EMBED_CHAPTERS, true) else {
        return;
    };
    let Some(e5) = cached_e5() else { return };
    let config = AlignConfig::default();
    let mt = score(&docs, &config);
    let combined = score_with(&docs, &config, Some(&e5));
    let span3 = AlignConfig {
        embed_span: 3,
        ..AlignConfig::default()
    };
    let blocks = score_with(&docs, &span3, Some(&e5));
    eprintln!(
        "mac-dev {EMBED_CHAPTERS:?} MT + length:\n{}\nall combined:\n{}\nembed span 3:\n{}\nembedding cache: {:?}",
        mt.table(),
        combined.table(),
        blocks.table(),
        e5.stats()
    );
    assert!(
        (mt.f1_strict - MAC_DEV_MT_CHAPTERS_STRICT_F1).abs() <= 0.005,
        "MT + length strict F1 {:.4}, expected {MAC_DEV_MT_CHAPTERS_STRICT_F1} ± 0.005",
        mt.f1_strict
    );
    assert!(
        (combined.f1_strict - MAC_DEV_COMBINED_STRICT_F1).abs() <= 0.005,
        "combined strict F1 {:.4}, expected {MAC_DEV_COMBINED_STRICT_F1} ± 0.005",
        combined.f1_strict
    );
    assert!(
        (blocks.f1_strict - MAC_DEV_COMBINED_SPAN3_STRICT_F1).abs() <= 0.005,
        "span 3 strict F1 {:.4}, expected {MAC_DEV_COMBINED_SPAN3_STRICT_F1} ± 0.005",
        blocks.f1_strict
    );
    assert!(combined.f1_lax > 0.97, "lax F1 {:.4}", combined.f1_lax);
}
