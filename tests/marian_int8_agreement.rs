//! `--dtype int8` against the exact f32 path on the full-size benchmark model that
//! `scripts/bench/marian.sh` prepares (random opus-mt-en-zh-shaped weights, WMT21 inputs):
//! first-step logit error, greedy tokens agreeing before the first difference, identical
//! sentences. Skipped when the model is absent (CI); run it with `--release`, as
//! docs/benchmarks.md says.

use bitext::model::marian::MarianEngine;
use bitext::text::Lang;
use bitext::translate::{EngineKind, EngineOptions, Precision};
use std::path::PathBuf;

/// Sentences compared, and new tokens per sentence (greedy, stopping at `</s>` or here).
const SENTENCES: usize = 256;
const NEW_TOKENS: usize = 64;
/// Sentences whose first-step logits are compared.
const LOGIT_SENTENCES: usize = 32;

fn bench_dir() -> PathBuf {
    std::env::var_os("BITEXT_BENCH_DIR")
        .map_or_else(|| PathBuf::from("/tmp/bitext-bench-marian"), PathBuf::from)
}

fn engine(precision: Precision) -> MarianEngine {
    let mut o = EngineOptions::new(EngineKind::Marian, Lang::En, Lang::Zh);
    o.model_dir = Some(bench_dir().join("model"));
    o.max_new_tokens = Some(NEW_TOKENS);
    o.length_cap = (1000.0, 1000);
    o.no_repeat_ngram = 0;
    o.precision = precision;
    MarianEngine::load(&o).unwrap()
}

/// First-step logits of each sentence, decoded alone.
fn first_logits(e: &MarianEngine, sources: &[Vec<u32>]) -> Vec<Vec<f32>> {
    let model = e.model();
    sources
        .iter()
        .map(|ids| {
            let encoded = model.encode(std::slice::from_ref(ids), &[ids.len()]).unwrap();
            let mut state = model.start_decoding(&encoded).unwrap();
            let step = model
                .decode_step(&mut state, &[model.config().decoder_start()])
                .unwrap();
            step.flatten_all().unwrap().to_vec1().unwrap()
        })
        .collect()
}

#[test]
fn int8_greedy_tokens_agree_with_f32_on_the_bench_model() {
    let inputs = bench_dir().join("inputs.json");
    if !bench_dir().join("model/model.safetensors").exists() || !inputs.exists() {
        eprintln!(
            "SKIPPED: no benchmark model in {} (scripts/bench/marian.sh prepares it)",
            bench_dir().display()
        );
        return;
    }
    let inputs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(inputs).unwrap()).unwrap();
    let sources: Vec<Vec<u32>> = serde_json::from_value(inputs["ids"].clone()).unwrap();
    let sources = &sources[..SENTENCES.min(sources.len())];
    let (exact, int8) = (engine(Precision::F32), engine(Precision::Int8));

    let (mut worst, mut span) = (0f32, 0f32);
    let few = &sources[..LOGIT_SENTENCES.min(sources.len())];
    for (want, got) in first_logits(&exact, few).iter().zip(first_logits(&int8, few)) {
        let finite = want.iter().filter(|x| x.is_finite());
        let (lo, hi) = finite.fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        span = span.max(hi - lo);
        let diff = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .filter(|d| d.is_finite());
        worst = diff.fold(worst, f32::max);
    }

    let want = exact.translate_ids(sources).unwrap();
    let got = int8.translate_ids(sources).unwrap();
    let total: usize = want.iter().map(Vec::len).sum();
    let agreeing: usize = got
        .iter()
        .zip(&want)
        .map(|(a, b)| a.iter().zip(b).take_while(|(x, y)| x == y).count())
        .sum();
    let identical = got.iter().zip(&want).filter(|(a, b)| a == b).count();
    eprintln!(
        "bench model int8 vs f32: max |logit difference| {worst:.4} (f32 logits span {span:.2}, first \
         {} sentences); greedy tokens agreeing before the first difference {agreeing}/{total} \
         ({:.1}%), sentences identical {identical}/{}",
        few.len(),
        100.0 * agreeing as f64 / total as f64,
        sources.len()
    );
    assert!(worst > 0.0, "int8 was not applied");
    assert!(worst < 0.02 * span, "logits off by {worst} (span {span})");
    assert!(agreeing * 10 >= total * 8, "{agreeing}/{total} tokens agree");
}
