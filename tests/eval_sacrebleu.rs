//! BLEU, chrF and their tokenizers agree with sacreBLEU 2.6.0 to the last digit.
//! Expected values come from `scripts/eval_expected.py` (tests/fixtures/eval/expected.json).

mod common;

use bitext::eval::bleu::{Bleu, BleuConfig, Smooth};
use bitext::eval::chrf::{sentence_chrf, Chrf, ChrfConfig};
use bitext::eval::pystr;
use bitext::eval::read_lines;
use bitext::eval::tokenize::{is_chinese_char, Tokenizer};
use clap::ValueEnum;
use serde_json::Value;

fn expected() -> Value {
    let path = common::fixture("eval/expected.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// A float the script wrote as Python's repr (serde_json's own parsing may be 1 ulp off).
fn float(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

fn tokenizer(name: &str) -> Tokenizer {
    Tokenizer::from_str(name, false).unwrap()
}

#[test]
fn whitespace_is_pythons_isspace() {
    let expected: Vec<u32> = expected()["whitespace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as u32)
        .collect();
    let got: Vec<u32> = (0..=0x10FFFF)
        .filter(|&c| char::from_u32(c).is_some_and(pystr::is_space))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn zh_tokenizer_splits_off_exactly_sacrebleus_ranges() {
    let ranges: Vec<(u32, u32)> = expected()["zh_ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_u64().unwrap() as u32, r[1].as_u64().unwrap() as u32))
        .collect();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let in_sacrebleu = ranges.iter().any(|&(a, b)| (a..=b).contains(&(c as u32)));
        assert_eq!(is_chinese_char(c), in_sacrebleu, "U+{:04X}", c as u32);
    }
}

#[test]
fn tokenizers_match_sacrebleu_on_tricky_strings() {
    let cases = expected()["tokenize"].as_array().unwrap().clone();
    assert!(cases.len() >= 100);
    let mismatches: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let tok = case["tokenize"].as_str().unwrap();
            let line = case["line"].as_str().unwrap();
            let want = case["tokens"].as_str().unwrap();
            let got = tokenizer(tok).tokenize(line);
            (got != want).then(|| format!("{tok} {line:?}\n  got  {got:?}\n  want {want:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn bleu_config(options: &Value, sentence: bool) -> BleuConfig {
    let default = BleuConfig::default();
    BleuConfig {
        tokenizer: options["tokenize"].as_str().map_or(default.tokenizer, tokenizer),
        smooth: options["smooth_method"]
            .as_str()
            .map_or(default.smooth, |s| Smooth::from_str(s, false).unwrap()),
        smooth_value: options["smooth_value"].as_f64(),
        lowercase: options["lowercase"].as_bool().unwrap_or(false),
        effective_order: options["effective_order"].as_bool().unwrap_or(sentence),
    }
}

#[test]
fn bleu_matches_sacrebleu_for_tokenizers_smoothing_case_and_multiple_refs() {
    let cases = expected()["bleu"].as_array().unwrap().clone();
    for case in &cases {
        let sentence = case["sentence"].as_bool().unwrap();
        let bleu = Bleu::new(bleu_config(&case["options"], sentence));
        let hyps = strings(&case["hyps"]);
        let refs: Vec<Vec<String>> = case["refs"].as_array().unwrap().iter().map(strings).collect();
        let score = if sentence {
            let segment_refs: Vec<&str> = refs.iter().map(|r| r[0].as_str()).collect();
            bleu.sentence_score(&hyps[0], &segment_refs)
        } else {
            bleu.corpus_score(&hyps, &refs).unwrap()
        };
        let context = format!("{:?} sentence={sentence}", case["options"]);
        assert_eq!(score.score, float(&case["score"]), "{context}");
        assert_eq!(score.bp, float(&case["bp"]), "{context}");
        assert_eq!(
            score.stats.sys_len,
            case["sys_len"].as_u64().unwrap(),
            "{context}"
        );
        assert_eq!(
            score.stats.ref_len,
            case["ref_len"].as_u64().unwrap(),
            "{context}"
        );
        // sacreBLEU reports add-k counts with k already added to orders 2 to 4 (unless
        // nothing matched, when it returns early).
        let k = match bleu.config.smooth {
            Smooth::AddK if score.stats.correct.iter().any(|&c| c > 0) => {
                bleu.config.smooth_value.unwrap_or(1.0)
            }
            _ => 0.0,
        };
        let raw = |v: &Value| -> Vec<u64> {
            let counts = v.as_array().unwrap().iter().map(|n| n.as_f64().unwrap());
            counts
                .enumerate()
                .map(|(n, c)| if n > 0 { c - k } else { c } as u64)
                .collect()
        };
        assert_eq!(score.stats.correct.to_vec(), raw(&case["counts"]), "{context}");
        assert_eq!(score.stats.total.to_vec(), raw(&case["totals"]), "{context}");
        let precisions: Vec<f64> = case["precisions"].as_array().unwrap().iter().map(float).collect();
        assert_eq!(score.precisions.to_vec(), precisions, "{context}");
        let report = bleu.report(&score, refs.len());
        assert_eq!(report.signature.to_string(), case["signature"].as_str().unwrap());
        assert_eq!(report.text(4), case["text"].as_str().unwrap(), "{context}");
        assert_eq!(report.json(2), case["json"].as_str().unwrap(), "{context}");
    }
}

fn chrf_config(options: &Value) -> ChrfConfig {
    let default = ChrfConfig::default();
    let usize_or = |key: &str, d: usize| options[key].as_u64().map_or(d, |v| v as usize);
    ChrfConfig {
        char_order: usize_or("char_order", default.char_order),
        word_order: usize_or("word_order", default.word_order),
        beta: options["beta"].as_u64().map_or(default.beta, |v| v as u32),
        lowercase: options["lowercase"].as_bool().unwrap_or(false),
        whitespace: options["whitespace"].as_bool().unwrap_or(false),
        eps_smoothing: options["eps_smoothing"].as_bool().unwrap_or(false),
    }
}

#[test]
fn chrf_matches_sacrebleu_for_word_orders_smoothing_and_empty_lines() {
    let cases = expected()["chrf"].as_array().unwrap().clone();
    for case in &cases {
        let chrf = Chrf::new(chrf_config(&case["options"]));
        let hyps = strings(&case["hyps"]);
        let refs: Vec<Vec<String>> = case["refs"].as_array().unwrap().iter().map(strings).collect();
        let score = if case["sentence"].as_bool().unwrap() {
            let segment_refs: Vec<&str> = refs.iter().map(|r| r[0].as_str()).collect();
            chrf.sentence_score(&hyps[0], &segment_refs)
        } else {
            chrf.corpus_score(&hyps, &refs).unwrap()
        };
        let context = format!("{:?} {hyps:?} {refs:?}", case["options"]);
        assert_eq!(score, float(&case["score"]), "{context}");
        let report = chrf.report(score, refs.len());
        assert_eq!(report.text(4), case["text"].as_str().unwrap(), "{context}");
        assert_eq!(report.json(2), case["json"].as_str().unwrap(), "{context}");
    }
}

#[test]
fn sentence_chrf_is_sacrebleus_default_chrf2() {
    let case = expected()["chrf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sentence"].as_bool().unwrap() && c["options"]["word_order"] == 0)
        .cloned()
        .unwrap();
    let hyp = case["hyps"][0].as_str().unwrap();
    let refs: Vec<&str> = case["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(sentence_chrf(hyp, &refs), float(&case["score"]));
}

/// The table of issue 5: Online-B against reference A, to 4 decimals.
#[test]
fn wmt21_online_b_scores_match_the_issue_table() {
    let Some(dir) = common::shared_data("wmt21") else {
        return;
    };
    let table = [
        ("en-zh", "zh", "36.0203", "32.0775", "27.9402"),
        ("zh-en", "en", "32.4139", "61.3381", "58.7056"),
    ];
    let full = &expected()["wmt21"];
    for (pair, tgt, bleu_want, chrf_want, chrfpp_want) in table {
        let hyps = read_lines(&dir.join(format!("newstest2021.{pair}.hyp.Online-B.{tgt}"))).unwrap();
        let refs = vec![read_lines(&dir.join(format!("newstest2021.{pair}.ref.A.{tgt}"))).unwrap()];
        let bleu = Bleu::new(BleuConfig {
            tokenizer: Tokenizer::default_for(tgt),
            ..BleuConfig::default()
        });
        let b = bleu.corpus_score(&hyps, &refs).unwrap();
        let c = Chrf::default().corpus_score(&hyps, &refs).unwrap();
        let chrfpp = Chrf::new(ChrfConfig {
            word_order: 2,
            ..ChrfConfig::default()
        });
        let cpp = chrfpp.corpus_score(&hyps, &refs).unwrap();
        assert_eq!(format!("{:.4}", b.score), bleu_want, "{pair} BLEU");
        assert_eq!(format!("{:.4}", c), chrf_want, "{pair} chrF2");
        assert_eq!(format!("{:.4}", cpp), chrfpp_want, "{pair} chrF2++");
        // And to the last bit, with sacreBLEU's verbose line.
        assert_eq!(b.score, float(&full[pair]["bleu"]));
        assert_eq!(c, float(&full[pair]["chrf"]));
        assert_eq!(cpp, float(&full[pair]["chrf_pp"]));
        assert_eq!(
            bleu.report(&b, 1).text(4),
            full[pair]["bleu_text"].as_str().unwrap()
        );
    }
}
