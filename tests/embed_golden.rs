//! Tiny random sentence encoders against golden vectors from Hugging Face
//! transformers (written by scripts/bert_golden.py). The references embed one
//! sentence at a time; bitext embeds them in one padded batch.

mod common;

use bitext::model::embed::load_embedder;
use candle_core::Device;
use std::path::Path;

/// Texts and expected vectors of a fixture's `golden.jsonl`.
fn golden(dir: &Path) -> (Vec<String>, Vec<Vec<f32>>) {
    std::fs::read_to_string(dir.join("golden.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = v["text"].as_str().unwrap().to_string();
            (text, serde_json::from_value(v["vector"].clone()).unwrap())
        })
        .unzip()
}

fn assert_close(got: &[Vec<f32>], want: &[Vec<f32>], texts: &[String]) {
    assert_eq!(got.len(), want.len());
    for ((g, w), text) in got.iter().zip(want).zip(texts) {
        assert_eq!(g.len(), w.len(), "{text:?}");
        let worst = g.iter().zip(w).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "{text:?}: max difference {worst}");
    }
}

fn check(spec: &Path, golden_dir: &Path, dim: usize) {
    let embedder = load_embedder(spec.to_str().unwrap(), &Device::Cpu).unwrap();
    assert_eq!(embedder.dim(), dim);
    let (texts, want) = golden(golden_dir);
    assert_close(&embedder.embed(&texts).unwrap(), &want, &texts);
}

#[test]
fn xlm_roberta_directory_with_mean_pooling_and_query_prompt_matches_transformers() {
    let dir = common::fixture("embed/tiny-xlmr");
    check(&dir, &dir, 32);
}

#[test]
fn bert_directory_with_cls_pooling_and_dense_tanh_head_matches_transformers() {
    let dir = common::fixture("embed/tiny-labse");
    check(&dir, &dir, 16);
}

#[test]
fn e5s1_container_with_q4_0_weights_matches_transformers_on_the_dequantised_weights() {
    let dir = common::fixture("embed/tiny-e5s1");
    check(&dir.join("model.bin"), &dir, 32);
}

#[test]
fn results_keep_input_order_and_do_not_depend_on_batch_neighbours() {
    let dir = common::fixture("embed/tiny-xlmr");
    let embedder = load_embedder(dir.to_str().unwrap(), &Device::Cpu).unwrap();
    let (texts, want) = golden(&dir);
    let reversed: Vec<String> = texts.iter().rev().cloned().collect();
    let got: Vec<Vec<f32>> = embedder.embed(&reversed).unwrap().into_iter().rev().collect();
    assert_close(&got, &want, &texts);
    assert!(embedder.embed(&[]).unwrap().is_empty());
}

#[test]
fn a_truncated_container_is_an_error_naming_the_file() {
    let bytes = std::fs::read(common::fixture("embed/tiny-e5s1/model.bin")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::fixture("embed/tiny-e5s1/tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    for (name, cut) in [("header.bin", 20), ("body.bin", bytes.len() - 100)] {
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let err = format!(
            "{:#}",
            load_embedder(file.to_str().unwrap(), &Device::Cpu).err().unwrap()
        );
        assert!(err.contains(name), "{err}");
        assert!(err.contains("truncated") || err.contains("past the end"), "{err}");
    }
    let file = dir.path().join("magic.bin");
    std::fs::write(&file, b"GGUF and more").unwrap();
    let err = format!(
        "{:#}",
        load_embedder(file.to_str().unwrap(), &Device::Cpu).err().unwrap()
    );
    assert!(err.contains("not an E5S1 container"), "{err}");
}

#[test]
fn an_unknown_model_name_is_a_one_line_error() {
    let err = format!(
        "{:#}",
        load_embedder("no-such-model", &Device::Cpu).err().unwrap()
    );
    assert!(err.contains("no-such-model") && !err.contains('\n'), "{err}");
}
