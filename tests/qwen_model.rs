//! The Qwen2 pieces on a real GGUF: the tokenizer rebuilt from GGUF metadata gives the ids
//! HF transformers gives (`scripts/qwen_tokenizer_reference.py`), Q5_0 weights convert exactly,
//! continuing from a prompt-prefix snapshot equals running the whole prompt, and a scored
//! answer sums the log-probabilities that decoding it step by step reads.
//! Skips when no model is present.

mod qwen_common;

use bitext::model::qwen::model::{argmax, KvCache, Qwen2, Step};
use bitext::model::qwen::{encode, prompt::context_block, prompt::Prompt, tokenizer, QwenEngine};
use bitext::text::Lang;
use bitext::translate::{Engine, EngineKind, EngineOptions};
use candle_core::quantized::gguf_file;
use candle_core::Device;
use qwen_common::qwen_gguf;
use tokenizers::Tokenizer;

fn open() -> Option<(gguf_file::Content, std::fs::File)> {
    let path = qwen_gguf()?;
    let mut file = std::fs::File::open(&path).unwrap();
    let content = gguf_file::Content::read(&mut file).unwrap();
    Some((content, file))
}

/// The cached GGUF's tokenizer, its model, and the en→zh prompt's prefix run through it.
fn model_after_prefix() -> Option<(Tokenizer, Qwen2, Prompt, Vec<u32>, KvCache)> {
    let (content, mut file) = open()?;
    let tok = tokenizer::from_gguf(&content).unwrap();
    let model = Qwen2::from_gguf(&content, &mut file, &Device::Cpu).unwrap();
    let prompt = Prompt::new(Lang::En, Lang::Zh, false);
    let prefix_ids = encode(&tok, &prompt.prefix).unwrap();
    let mut prefix = KvCache::default();
    model.forward(&prefix_ids, &mut prefix).unwrap();
    Some((tok, model, prompt, prefix_ids, prefix))
}

#[test]
fn gguf_tokenizer_gives_the_ids_transformers_gives() {
    let Some((content, _)) = open() else { return };
    let tok = tokenizer::from_gguf(&content).unwrap();
    let json = qwen_common::fixture_lines("qwen/tokenizer_ids.json").join("\n");
    let expected: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cases = expected["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let ids: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(encode(&tok, text).unwrap(), ids, "ids of {text:?}");
        // The texts are already NFC, so decoding gives them back byte for byte.
        assert_eq!(tok.decode(&ids, false).unwrap(), text);
    }
}

#[test]
fn prompt_split_at_the_sentence_tokenizes_like_the_whole_prompt() {
    let Some((content, _)) = open() else { return };
    let tok = tokenizer::from_gguf(&content).unwrap();
    for (from, to, sentence) in [
        (Lang::En, Lang::Zh, "Exports rose by 7.9% to US$6.61 billion."),
        (Lang::Zh, Lang::En, "今年一季度，我国出口同比增长7.9%。"),
        (Lang::En, Lang::Zh, "\"Quoted\" start, and 'single' quotes."),
    ] {
        let prompt = Prompt::new(from, to, false);
        let pieces: Vec<u32> = [prompt.prefix.as_str(), sentence, prompt.suffix.as_str()]
            .iter()
            .flat_map(|p| encode(&tok, p).unwrap())
            .collect();
        assert_eq!(
            pieces,
            encode(&tok, &prompt.render(sentence)).unwrap(),
            "{sentence}"
        );
    }
}

#[test]
fn continuing_from_a_prefix_snapshot_matches_running_the_whole_prompt() {
    let Some((tok, model, prompt, prefix_ids, prefix)) = model_after_prefix() else {
        return;
    };
    assert_eq!(prefix.len(), prefix_ids.len());

    for sentence in [
        "The museum received 8,000 visitors.",
        "Electric vehicle sales doubled.",
    ] {
        let rest: Vec<u32> = [sentence, prompt.suffix.as_str()]
            .iter()
            .flat_map(|p| encode(&tok, p).unwrap())
            .collect();
        let mut snapshot = prefix.clone();
        let reused = model.forward(&rest, &mut snapshot).unwrap();
        let mut fresh = KvCache::default();
        let whole: Vec<u32> = prefix_ids.iter().chain(&rest).copied().collect();
        let direct = model.forward(&whole, &mut fresh).unwrap();
        assert_eq!(snapshot.len(), fresh.len());
        assert_eq!(argmax(&reused).unwrap(), argmax(&direct).unwrap(), "{sentence}");
        // Not bit-identical: candle picks its quantized matmul kernel by row count, and the
        // kernels round activations differently (measured: up to 0.4 on logits spanning ±14).
        let scalar = |t: candle_core::Tensor| t.to_scalar::<f32>().unwrap();
        let range = scalar(direct.max(0).unwrap()) - scalar(direct.min(0).unwrap());
        let diff = scalar((reused - &direct).unwrap().abs().unwrap().max(0).unwrap());
        assert!(
            diff < 0.05 * range,
            "logits differ by {diff} (range {range}) for {sentence}"
        );
    }
    // The snapshot itself is untouched by the sentences run after it.
    assert_eq!(prefix.len(), prefix_ids.len());
}

#[test]
fn q5_0_weights_become_q8_0_without_changing_a_value() {
    let Some((content, mut file)) = open() else { return };
    let name = content
        .tensor_infos
        .iter()
        .find(|(_, info)| info.ggml_dtype == candle_core::quantized::GgmlDType::Q5_0)
        .map(|(name, _)| name.clone());
    let Some(name) = name else {
        eprintln!("SKIPPED: this GGUF has no Q5_0 tensor");
        return;
    };
    let q5 = content.tensor(&mut file, &name, &Device::Cpu).unwrap();
    let q8 = bitext::model::qwen::model::q5_0_as_q8_0(&q5, &Device::Cpu).unwrap();
    assert_eq!(q8.dtype(), candle_core::quantized::GgmlDType::Q8_0);
    assert_eq!(q8.shape(), q5.shape());
    let a = q5
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let b = q8
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(a.iter().any(|&x| x != 0.0));
    assert_eq!(a, b, "{name}");
}

#[test]
fn sentences_run_together_get_the_numbers_they_get_alone() {
    let Some((tok, model, prompt, _, prefix)) = model_after_prefix() else {
        return;
    };
    let inputs: Vec<Vec<u32>> = [
        "The museum received 8,000 visitors.",
        "Electric vehicle sales doubled in the first quarter, the ministry said on Tuesday.",
        "Exports rose.",
    ]
    .iter()
    .map(|s| encode(&tok, &format!("{s}{}", prompt.suffix)).unwrap())
    .collect();

    // Prefill, then one decoding step, alone and batched.
    let alone: Vec<(Vec<f32>, u32, Vec<f32>)> = inputs
        .iter()
        .map(|ids| {
            let mut cache = prefix.clone();
            let first = model.forward(ids, &mut cache).unwrap();
            let next = argmax(&first).unwrap();
            let second = model.forward(&[next], &mut cache).unwrap();
            (first.to_vec1().unwrap(), next, second.to_vec1().unwrap())
        })
        .collect();
    let mut caches = vec![prefix.clone(); inputs.len()];
    let mut steps: Vec<Step> = caches
        .iter_mut()
        .zip(&inputs)
        .map(|(cache, tokens)| Step { tokens, cache })
        .collect();
    let first = model.forward_batch(&mut steps).unwrap().to_vec2::<f32>().unwrap();
    let next: Vec<[u32; 1]> = alone.iter().map(|(_, next, _)| [*next]).collect();
    let mut steps: Vec<Step> = caches
        .iter_mut()
        .zip(&next)
        .map(|(cache, tokens)| Step { tokens, cache })
        .collect();
    let second = model.forward_batch(&mut steps).unwrap().to_vec2::<f32>().unwrap();
    for (i, (a_first, _, a_second)) in alone.iter().enumerate() {
        assert!(
            first[i] == *a_first,
            "prefill logits of sentence {i} differ when batched"
        );
        assert!(
            second[i] == *a_second,
            "step logits of sentence {i} differ when batched"
        );
    }
}

#[test]
fn a_prompt_with_context_split_for_the_shared_head_tokenizes_like_the_whole_prompt() {
    let Some((content, _)) = open() else { return };
    let tok = tokenizer::from_gguf(&content).unwrap();
    let context = vec!["Xia Haihong heads the bureau.".to_string()];
    for (from, to, sentence) in [
        (Lang::En, Lang::Zh, "She said exports rose by 7.9%."),
        (Lang::Zh, Lang::En, "她说，出口同比增长7.9%。"),
    ] {
        let prompt = Prompt::new(from, to, false);
        let (head, rest) = prompt.split_for_context();
        let block = context_block(&context);
        let pieces: Vec<u32> = [head, block.as_str(), rest, sentence, prompt.suffix.as_str()]
            .iter()
            .flat_map(|p| encode(&tok, p).unwrap())
            .collect();
        assert_eq!(
            pieces,
            encode(&tok, &prompt.render_in_context(&context, sentence)).unwrap(),
            "{sentence}"
        );
    }
}

#[test]
fn a_scored_answer_reads_the_log_probabilities_decoding_reads() {
    let Some((tok, model, prompt, _, prefix)) = model_after_prefix() else {
        return;
    };
    let path = qwen_gguf().unwrap();
    let opts = EngineOptions::new(EngineKind::Qwen, Lang::En, Lang::Zh);
    let mut engine = QwenEngine::load(&path, &opts).unwrap();
    let source = "The weather is fine today.";
    let (right, wrong) = ("今天天气很好。", "我昨天买了三个苹果。");
    let pairs = [(source, right), (source, wrong), ("He left.", "他走了。")]
        .map(|(s, t)| (s.to_string(), t.to_string()));
    let scores = engine.log_likelihoods(&pairs).unwrap();
    assert!(scores[0] > scores[1] + 5.0, "{scores:?}");

    // The same sum, one decoding step at a time.
    let mut cache = prefix.clone();
    let mut logits = model
        .forward(
            &encode(&tok, &format!("{source}{}", prompt.suffix)).unwrap(),
            &mut cache,
        )
        .unwrap();
    let mut answer = encode(&tok, right).unwrap();
    answer.push(tok.token_to_id("<|im_end|>").unwrap());
    let mut sum = 0.0;
    for &t in &answer {
        let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1).unwrap();
        sum += f64::from(logp.get(t as usize).unwrap().to_scalar::<f32>().unwrap());
        logits = model.forward(&[t], &mut cache).unwrap();
    }
    assert!(
        (sum - scores[0]).abs() < 0.05,
        "stepwise {sum}, scored {}",
        scores[0]
    );
}
