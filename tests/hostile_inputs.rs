//! Hostile inputs: every reader and parser that takes a user's bytes (articles and
//! their cleaner, the segmenter, the four corpus formats, alignment ladders, model
//! manifests, GGUF and safetensors headers) gets generated and mutated inputs, and
//! must return a value or an error that names the file, never panic.
//!
//! Each input is random bytes, a string of fragments that mean something to one
//! of the parsers, or a valid sample with up to ten random edits. The seed is fixed
//! and the case counts bounded, so the file gives the same verdict every time.

use bitext::corpus::{open_reader, Format};
use bitext::text::{clean, read, segment, Lang};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::path::Path;

/// `cases` inputs from a fixed seed, without failure files.
fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// Fragments that mean something to at least one parser.
const FRAGMENTS: &[&str] = &[
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    " ",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "\u{2028}",
    "\u{202e}",
    "\u{301}",
    "。",
    "！",
    "？",
    "”",
    "“",
    "……",
    "Mr.",
    "U.S.",
    "...",
    "?!",
    "\"",
    "'",
    "\\",
    "\\t",
    "\\n",
    "<",
    ">",
    "&",
    "&amp;",
    "&#x10FFFF;",
    "&#0;",
    "&bogus;",
    "<p>",
    "</p>",
    "<br>",
    "<h1>",
    "</h1>",
    "<title>",
    "<script>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?xml version=\"1.0\"?>",
    "<tmx>",
    "<body>",
    "<tu>",
    "</tu>",
    "<tuv xml:lang=\"zh\">",
    "<tuv xml:lang=\"en\">",
    "</tuv>",
    "<seg>",
    "</seg>",
    "<prop type=\"doc\">",
    "#",
    "## ",
    "* ",
    "[a](b)",
    "![i](j)",
    "```",
    "---",
    "[",
    "]",
    "[0,1]",
    ":",
    ",",
    "[]:[]",
    "{",
    "}",
    "{\"src\":",
    "\"tgt\":",
    "\"doc\":",
    "null",
    "[[pypi]]",
    "name = \"x\"",
    "size = ",
    "=",
    "0",
    "-1",
    "1e999",
    "18446744073709551616",
    "99999999999999999999999",
    "GGUF",
    "The council met.",
    "北京市",
    "新华社北京电",
    "2026年12月6日",
    "Reporting by",
    "Advertisement",
    "😀",
    "𠀀",
];

/// One random change to a sample.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, &'static str),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        (any::<usize>(), prop::sample::select(FRAGMENTS)).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 0..64usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0..64usize).prop_map(|(at, n)| Edit::Repeat(at, n)),
    ]
}

fn apply(sample: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for e in edits {
        let at = |i: usize| {
            if bytes.is_empty() {
                0
            } else {
                i % (bytes.len() + 1)
            }
        };
        match *e {
            Edit::Set(i, b) if !bytes.is_empty() => {
                let i = i % bytes.len();
                bytes[i] = b;
            }
            Edit::Set(..) => bytes.push(0),
            Edit::Insert(i, s) => {
                let i = at(i);
                bytes.splice(i..i, s.bytes());
            }
            Edit::Delete(i, n) => {
                let i = at(i);
                bytes.drain(i..(i + n).min(bytes.len()));
            }
            Edit::Truncate(i) => bytes.truncate(at(i)),
            Edit::Repeat(i, n) => {
                let i = at(i);
                let slice = bytes[i..(i + n).min(bytes.len())].to_vec();
                bytes.splice(i..i, slice);
            }
        }
    }
    bytes
}

/// Random bytes, fragments, or a mutated sample.
fn hostile(samples: &'static [&'static [u8]]) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..64).prop_map(|f| f.concat().into_bytes()),
        (
            prop::sample::select(samples),
            prop::collection::vec(edit(), 0..10)
        )
            .prop_map(|(sample, edits)| apply(sample, &edits)),
    ]
    .boxed()
}

/// Asserts that an error message names the file it is about.
fn names(err: impl std::fmt::Display, file: &Path) -> Result<(), TestCaseError> {
    let message = format!("{err:#}");
    let name = file.file_name().unwrap().to_string_lossy();
    prop_assert!(
        message.contains(&*name),
        "the error does not name {name}: {message}"
    );
    Ok(())
}

const ARTICLES: &[&[u8]] = &[
    include_bytes!("../examples/en/rail-link.txt"),
    include_bytes!("../examples/zh/tea-harvest.txt"),
    include_bytes!("fixtures/text/zh_debris.txt"),
    include_bytes!("fixtures/text/zh_gbk.html"),
    b"# A headline\n\nSome *markdown* with [a link](http://x) and ![img](y.png).\n\n- item\n",
    b"<html><head><title>T</title></head><body><h1>Head</h1><p>One. Two.</p><div>x<br>y</div></body></html>",
];

proptest! {
    #![proptest_config(config(1500))]

    /// Articles of every kind are read, cleaned, detected and segmented, or refused by name.
    #[test]
    fn articles_are_read_and_cleaned_or_refused(bytes in hostile(ARTICLES), ext in prop::sample::select(&["txt", "md", "html"][..])) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("article.{ext}"));
        std::fs::write(&path, &bytes).unwrap();
        match read::read_document(&path) {
            Ok(mut doc) => {
                let mut docs = vec![doc.clone(), doc.clone()];
                clean::clean_documents(&mut docs);
                clean::clean_document(&mut doc);
                if let Err(e) = bitext::text::article::Article::new(&path, doc, None) {
                    names(e, &path)?;
                }
            }
            Err(e) => names(e, &path)?,
        }
    }

    /// The segmenter returns trimmed, non-empty, bounded sentences that keep every
    /// non-space character of the text, in order.
    #[test]
    fn the_segmenter_splits_any_text(bytes in hostile(ARTICLES)) {
        let text = String::from_utf8_lossy(&bytes);
        let given: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for lang in [Lang::En, Lang::Zh] {
            let sentences = segment::split_sentences(&text, lang);
            for s in &sentences {
                prop_assert!(!s.is_empty() && s.trim() == s, "{lang:?}: {s:?}");
                prop_assert!(s.chars().count() <= segment::MAX_SENTENCE_CHARS);
            }
            let kept: String = sentences.concat().chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(&kept, &given, "{:?}", lang);
        }
    }
}

const CORPORA: &[&[u8]] = &[
    include_bytes!("fixtures/corpus/tricky.jsonl"),
    include_bytes!("fixtures/corpus/foreign.tmx"),
    b"doc\tsrc_ids\ttgt_ids\tscore\ten\tzh\na.txt\t0\t0\t\tHello.\t\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82\n",
    b"Hello.\nA tab\\tand a newline\\n.\n",
];

proptest! {
    #![proptest_config(config(1500))]

    /// TSV, JSONL, TMX and Moses files are read pair by pair, or an error names the file.
    #[test]
    fn corpora_are_read_or_refused(
        bytes in hostile(CORPORA),
        other in hostile(CORPORA),
        format in prop::sample::select(&[Format::Tsv, Format::Jsonl, Format::Tmx, Format::Moses][..]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = match format {
            Format::Moses => {
                std::fs::write(dir.path().join("corpus.en"), &bytes).unwrap();
                std::fs::write(dir.path().join("corpus.zh"), &other).unwrap();
                dir.path().join("corpus")
            }
            _ => {
                let path = dir.path().join(format!("corpus.{}", format.extension()));
                std::fs::write(&path, &bytes).unwrap();
                path
            }
        };
        match open_reader(&path, format) {
            Ok(reader) => {
                for pair in reader {
                    if let Err(e) = pair {
                        names(e, Path::new("corpus"))?;
                        break;
                    }
                }
            }
            Err(e) => names(e, Path::new("corpus"))?,
        }
    }
}

const LADDERS: &[&[u8]] = &[
    include_bytes!("fixtures/align/gold.align"),
    b"[0,1]:[0]\n[2]:[]\n[]:[1, 2]\n\n[3]:[3]\n",
];

proptest! {
    #![proptest_config(config(3000))]

    /// Ladder files parse into beads that print back as the same ladder, or the error
    /// names the file and the line.
    #[test]
    fn ladders_parse_back_or_are_refused(bytes in hostile(LADDERS)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.align");
        std::fs::write(&path, &bytes).unwrap();
        match bitext::eval::align_score::read_beads(&path) {
            Ok(beads) => {
                let printed: String = beads.iter().map(|b| format!("{b}\n")).collect();
                let again = bitext::eval::align_score::parse_beads(&printed).unwrap();
                prop_assert_eq!(again, beads);
            }
            Err(e) => names(e, &path)?,
        }
    }

    /// Beads the aligner produces are written as ladders that `eval align` reads back.
    #[test]
    fn ladders_written_by_the_aligner_read_back(spans in prop::collection::vec((0..4usize, 0..4usize), 0..40)) {
        let (mut s, mut t) = (0, 0);
        let beads: Vec<bitext::align::Bead> = spans
            .into_iter()
            .map(|(m, n)| {
                let bead = bitext::align::Bead { src: s..s + m, tgt: t..t + n, score: 0.0 };
                (s, t) = (s + m, t + n);
                bead
            })
            .collect();
        let parsed = bitext::eval::align_score::parse_beads(&bitext::align::ladder::to_ladder(&beads)).unwrap();
        let expected: Vec<bitext::eval::align_score::Bead> = beads.iter().map(Into::into).collect();
        prop_assert_eq!(parsed, expected);
    }
}

const MANIFESTS: &[&[u8]] = &[
    include_bytes!("../models/qwen2.5-coder-0.5b.toml"),
    include_bytes!("../models/opus-mt-en-zh.toml"),
];

proptest! {
    #![proptest_config(config(3000))]

    /// Model manifests parse or give an error; never a panic.
    #[test]
    fn model_manifests_parse_or_are_refused(bytes in hostile(MANIFESTS)) {
        let text = String::from_utf8_lossy(&bytes);
        let parsed: Result<bitext::model::manifest::Manifest, _> = toml::from_str(&text);
        if let Err(e) = parsed {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

/// A little-endian GGUF v3 string.
fn gguf_string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

/// A small GGUF v3 file: a Qwen2 architecture key, `alignment`, a three-token
/// vocabulary and one 4×4 f32 tensor.
fn gguf_sample(alignment: u32) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(1u64.to_le_bytes()); // tensors
    out.extend(4u64.to_le_bytes()); // metadata entries
    gguf_string(&mut out, "general.architecture");
    out.extend(8u32.to_le_bytes());
    gguf_string(&mut out, "qwen2");
    gguf_string(&mut out, "general.alignment");
    out.extend(4u32.to_le_bytes());
    out.extend(alignment.to_le_bytes());
    gguf_string(&mut out, "qwen2.block_count");
    out.extend(4u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    gguf_string(&mut out, "tokenizer.ggml.tokens");
    out.extend(9u32.to_le_bytes()); // array
    out.extend(8u32.to_le_bytes()); // of strings
    out.extend(3u64.to_le_bytes());
    for token in ["a", "<|im_end|>", "北"] {
        gguf_string(&mut out, token);
    }
    gguf_string(&mut out, "token_embd.weight");
    out.extend(2u32.to_le_bytes());
    out.extend(4u64.to_le_bytes());
    out.extend(4u64.to_le_bytes());
    out.extend(0u32.to_le_bytes()); // f32
    out.extend(0u64.to_le_bytes());
    out.resize(out.len().div_ceil(32) * 32, 0);
    out.extend(std::iter::repeat_n(0u8, 64));
    out
}

/// A small safetensors file: three tensors of three dtypes.
fn safetensors_sample() -> Vec<u8> {
    let header = br#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"BF16","shape":[1,2],"data_offsets":[32,36]}}"#;
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    out.extend((0..36u8).collect::<Vec<_>>());
    out
}

fn model_samples() -> &'static [&'static [u8]] {
    static SAMPLES: std::sync::OnceLock<Vec<&'static [u8]>> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        [gguf_sample(32), gguf_sample(0), safetensors_sample()]
            .into_iter()
            .map(|v| &*Vec::leak(v))
            .collect()
    })
}

proptest! {
    #![proptest_config(config(1500))]

    /// A damaged GGUF file is refused by name when the Qwen engine loads it.
    #[test]
    fn gguf_headers_load_or_are_refused(bytes in hostile(model_samples())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, &bytes).unwrap();
        let mut opts = bitext::translate::EngineOptions::new(bitext::translate::EngineKind::Qwen, Lang::En, Lang::Zh);
        opts.model_file = Some(path.clone());
        if let Err(e) = bitext::model::qwen::QwenEngine::load(&path, &opts) {
            names(e, &path)?;
        }
    }

    /// A damaged safetensors file is refused by name, at opening or at reading a tensor.
    #[test]
    fn safetensors_headers_load_or_are_refused(bytes in hostile(model_samples())) {
        use candle_nn::var_builder::SimpleBackend;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        std::fs::write(&path, &bytes).unwrap();
        match bitext::model::marian::weights::SafetensorsFile::open(&path) {
            Ok(file) => {
                for name in ["a", "b", "c"] {
                    if file.contains_tensor(name) {
                        if let Err(e) = file.get_unchecked(name, candle_core::DType::F32, &candle_core::Device::Cpu) {
                            names(e, &path)?;
                        }
                    }
                }
            }
            Err(e) => names(e, &path)?,
        }
    }
}
