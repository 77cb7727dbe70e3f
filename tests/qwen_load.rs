//! Loading the qwen engine fails early with a one-line error naming what is wrong, and the
//! shipped model manifests are consistent. Needs no model weights.

use bitext::model::load_engine;
use bitext::model::manifest;
use bitext::text::Lang;
use bitext::translate::{EngineKind, EngineOptions};

fn load_error(opts: &EngineOptions) -> String {
    match load_engine(opts) {
        Ok(_) => panic!("loading should fail"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_missing_or_broken_gguf_is_named_in_the_error() {
    let mut opts = EngineOptions::new(EngineKind::Qwen, Lang::En, Lang::Zh);
    opts.model_file = Some("/nonexistent/model.gguf".into());
    let err = load_error(&opts);
    assert!(err.contains("/nonexistent/model.gguf"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.gguf");
    std::fs::write(&bogus, "not a gguf at all").unwrap();
    opts.model_file = Some(bogus.clone());
    let err = load_error(&opts);
    assert!(
        err.contains(&*bogus.to_string_lossy()) && err.contains("GGUF"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn an_unknown_model_name_says_how_to_get_one() {
    let mut opts = EngineOptions::new(EngineKind::Qwen, Lang::Zh, Lang::En);
    opts.model = Some("no-such-model".into());
    let err = load_error(&opts);
    assert!(
        err.contains("no-such-model") && err.contains("--model-file"),
        "{err}"
    );
}

#[test]
fn offline_qwen_manifests_add_up() {
    let qwen: Vec<_> = manifest::builtin()
        .into_iter()
        .filter(|m| m.engine == "qwen")
        .collect();
    assert!(qwen.iter().any(|m| m.name == "qwen2.5-coder-0.5b"));
    assert!(qwen.iter().any(|m| m.name == "qwen2.5-coder-1.5b"));
    for m in &qwen {
        for src in &m.pypi {
            let sum: u64 = src.parts.iter().map(|p| p.size).sum();
            assert_eq!(sum, src.size, "{}: parts do not add up to {}", m.name, src.file);
            assert!(src.file.ends_with(".gguf"), "{}", src.file);
        }
    }
    // The 0.5B file is the one the issue describes: one GGUF of 491,400,064 bytes in six wheels.
    let small = manifest::find("qwen2.5-coder-0.5b").unwrap();
    assert_eq!((small.pypi[0].size, small.pypi[0].parts.len()), (491_400_064, 6));
}
