//! Benchmark harness, not a check: translates the first segments of a wmt21 direction with
//! the qwen engine and writes the hypotheses for scoring. Ignored by `cargo test`; run by
//! `scripts/bench/qwen_wmt21.sh`, which scores the output with sacreBLEU.
//!
//! Environment: BITEXT_QWEN_GGUF (model), QWEN_BENCH_PAIR (`en-zh` or `zh-en`),
//! QWEN_BENCH_N (segments), QWEN_BENCH_OUT (hypothesis file), QWEN_BENCH_THREADS.

mod common;

use bitext::model::qwen::QwenEngine;
use bitext::translate::{Engine, EngineKind, EngineOptions};
use std::time::Instant;

#[test]
#[ignore = "benchmark; run by scripts/bench/qwen_wmt21.sh"]
fn translate_wmt21_head() {
    // RUST_LOG=bitext=debug shows the raw answers before clean-up.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("set {k}"));
    let pair = var("QWEN_BENCH_PAIR");
    let (from, to) = pair.split_once('-').expect("QWEN_BENCH_PAIR is like en-zh");
    let (from, to) = (from.parse().unwrap(), to.parse().unwrap());
    let n: usize = var("QWEN_BENCH_N").parse().unwrap();
    let Some(dir) = common::shared_data("wmt21") else {
        return;
    };
    let src = std::fs::read_to_string(dir.join(format!("newstest2021.{pair}.src.{from}"))).unwrap();
    let sources: Vec<String> = src.lines().take(n).map(str::to_string).collect();

    let mut opts = EngineOptions::new(EngineKind::Qwen, from, to);
    opts.threads = std::env::var("QWEN_BENCH_THREADS")
        .ok()
        .map(|t| t.parse().unwrap());
    let gguf = std::path::PathBuf::from(var("BITEXT_QWEN_GGUF"));
    let start = Instant::now();
    let mut engine = QwenEngine::load(&gguf, &opts).unwrap();
    let load = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut out = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        out.extend(engine.translate(std::slice::from_ref(s)).unwrap());
        eprintln!(
            "[{}/{}] {:.1}s",
            i + 1,
            sources.len(),
            start.elapsed().as_secs_f64()
        );
    }
    let secs = start.elapsed().as_secs_f64();
    bitext::fsio::write_atomic(
        std::path::Path::new(&var("QWEN_BENCH_OUT")),
        (out.join("\n") + "\n").as_bytes(),
    )
    .unwrap();
    let d = engine.defects();
    println!(
        "{pair} n={} load={load:.1}s translate={secs:.1}s s/segment={:.2} retried={} failed={} signature={}",
        sources.len(),
        secs / sources.len() as f64,
        d.retried,
        d.failed,
        engine.signature()
    );
}
