//! One document pair from files to alignments and corpus pairs: the path that
//! `bitext align` and `bitext run --pair-dir` share.
//!
//! A pair is read ([`read_pair`], or every pair of two folders with [`folder_pairs`]),
//! sides without a translation are translated when an engine is given, and
//! [`align_documents`] aligns the pairs in parallel (with embeddings when an embedder
//! is given; one after the other when the engine regroups beads) and returns, per
//! document, the alignment and its corpus pairs.

use super::regroup::Likelihood;
use super::{align, align_embedded, align_regrouped, char_len, AlignConfig, AlignError, Alignment, Side};
use crate::corpus::SentencePair;
use crate::model::embed::SentenceEmbedder;
use crate::text::{article::load_article, join_sentences, Lang};
use crate::translate::Engine;
use anyhow::{bail, Context};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Beads the engine scores between two updates of the progress bar while regrouping
/// (about 20 s on 2 CPU cores with Coder-1.5B). Each chunk is scored in passes of its
/// own: 16 of mac-dev's beads hold about 570 answer tokens, one full pass of 512 and a
/// short one.
const PROGRESS_CHUNK: usize = 16;

/// What [`align_documents`] reports while the engine regroups beads (`bitext align`
/// draws a progress bar with it).
pub trait RegroupProgress {
    /// The engine starts on a document of `sentences` sentences (both sides), with
    /// `beads` beads to score.
    fn document(&self, sentences: u64, beads: usize);
    /// `beads` more beads are scored.
    fn scored(&self, beads: usize);
    /// The document is regrouped.
    fn document_done(&self);
}

/// One side of a document pair: its sentences and, optionally, their translation into
/// the other side's language (one line per sentence).
#[derive(Debug, Clone)]
pub struct Text {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    /// Its language.
    pub lang: Lang,
    /// Its sentences, the title first.
    pub sentences: Vec<String>,
    /// A translation into the other side's language, one line per sentence.
    pub translation: Option<Vec<String>>,
}

impl Text {
    /// The side as the aligner takes it.
    pub fn side(&self) -> Side<'_> {
        Side {
            sentences: &self.sentences,
            lang: self.lang,
            translation: self.translation.as_deref(),
        }
    }
}

/// A document pair ready to align.
#[derive(Debug, Clone)]
pub struct DocumentPair {
    /// The document id that corpus pairs carry.
    pub doc: String,
    /// The source side.
    pub src: Text,
    /// The target side, the translation of the source.
    pub tgt: Text,
}

impl DocumentPair {
    /// Sentences of both sides together.
    pub fn sentences(&self) -> usize {
        self.src.sentences.len() + self.tgt.sentences.len()
    }
}

/// An aligned document pair.
#[derive(Debug, Clone)]
pub struct AlignedDocument {
    /// The pair that was aligned (with the translations used).
    pub pair: DocumentPair,
    /// Beads covering every sentence of both sides.
    pub alignment: Alignment,
    /// One corpus pair per bead with sentences on both sides, scored by the aligner.
    pub pairs: Vec<SentencePair>,
    /// Target characters per source character over the whole document pair.
    pub length_ratio: f64,
}

impl AlignedDocument {
    /// One line for logs: beads, anchors and the sentences left unaligned.
    pub fn summary(&self) -> String {
        let a = &self.alignment;
        format!(
            "{}: {} beads ({} anchors), {} source and {} target sentences unaligned",
            self.pair.doc,
            a.beads.len(),
            a.anchors,
            a.unaligned_src(),
            a.unaligned_tgt()
        )
    }
}

/// The document id of a file: its name without the extension.
pub fn stem_of(path: &Path) -> String {
    path.file_stem()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// How texts are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Inputs hold one sentence per line; otherwise they are articles, cleaned of page
    /// debris and segmented as `bitext run` does.
    pub lines: bool,
    /// Language of the source side (detected when `None`).
    pub src_lang: Option<Lang>,
    /// Language of the target side (detected when `None`).
    pub tgt_lang: Option<Lang>,
    /// Read (and later translate) the target side's translation too.
    pub both_ways: bool,
}

/// Loads the engine for a direction; called once per direction that needs one.
pub type EngineLoader<'a> = dyn FnMut(Lang, Lang) -> anyhow::Result<Box<dyn Engine>> + 'a;

/// The engines loaded so far, one per direction.
struct Engines<'l, 'a> {
    load: &'l mut EngineLoader<'a>,
    loaded: HashMap<(Lang, Lang), Box<dyn Engine>>,
}

impl Engines<'_, '_> {
    /// The engine for `from` → `to`, loaded on first use.
    fn get(&mut self, from: Lang, to: Lang) -> anyhow::Result<&mut dyn Engine> {
        let engine = match self.loaded.entry((from, to)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert((self.load)(from, to)?),
        };
        Ok(engine.as_mut())
    }
}

/// Reads a text as sentences in `lang` (detected when `None`).
pub fn read_text(path: &Path, lines: bool, lang: Option<Lang>) -> anyhow::Result<(Lang, Vec<String>)> {
    if !lines {
        let article = load_article(path, lang)?;
        return Ok((article.lang, article.sentences().concat()));
    }
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let sentences: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    let lang = match lang {
        Some(l) => l,
        None => crate::text::detect::detect(&text).with_context(|| {
            format!(
                "{}: cannot tell the language (no Latin or Han letters); pass --src-lang/--tgt-lang",
                path.display()
            )
        })?,
    };
    Ok((lang, sentences))
}

/// Reads a translation file (one line per sentence) that must have `want` lines.
fn read_translation(path: &Path, want: usize) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    if lines.len() != want {
        bail!("{}: {} lines for {want} sentences", path.display(), lines.len());
    }
    Ok(lines)
}

/// Reads the pair `src`/`tgt` with their optional translation files. Two sides in one
/// language are refused unless both languages were given.
pub fn read_pair(
    doc: String,
    (src, tgt): (&Path, &Path),
    (src_trans, tgt_trans): (Option<&Path>, Option<&Path>),
    opts: &ReadOptions,
) -> anyhow::Result<DocumentPair> {
    let (src_lang, src_sents) = read_text(src, opts.lines, opts.src_lang)?;
    let (tgt_lang, tgt_sents) = read_text(tgt, opts.lines, opts.tgt_lang)?;
    let declared = opts.src_lang.is_some() && opts.tgt_lang.is_some();
    if src_lang == tgt_lang && !declared && !(src_sents.is_empty() || tgt_sents.is_empty()) {
        bail!(
            "{}: both sides are {src_lang}; give an en/zh pair, or pass --src-lang and \
             --tgt-lang to align two texts in one language",
            tgt.display()
        );
    }
    for (path, sentences) in [(src, &src_sents), (tgt, &tgt_sents)] {
        if sentences.is_empty() {
            tracing::warn!(
                "{}: no sentences; every sentence of the other side stays unaligned",
                path.display()
            );
        }
    }
    let src_translation = src_trans
        .map(|p| read_translation(p, src_sents.len()))
        .transpose()?;
    let tgt_translation = match tgt_trans {
        Some(p) if opts.both_ways => Some(read_translation(p, tgt_sents.len())?),
        _ => None,
    };
    let side = |path: &Path, lang, sentences, translation| Text {
        path: path.to_path_buf(),
        lang,
        sentences,
        translation,
    };
    Ok(DocumentPair {
        doc,
        src: side(src, src_lang, src_sents, src_translation),
        tgt: side(tgt, tgt_lang, tgt_sents, tgt_translation),
    })
}

/// Texts in a folder by stem, `.trans` files excluded.
fn by_stem(dir: &Path) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry.with_context(|| dir.display().to_string())?.path();
        if !path.is_file() || path.extension().is_some_and(|e| e == "trans") {
            continue;
        }
        if let Some(stem) = path.file_stem() {
            out.insert(stem.to_string_lossy().into_owned(), path);
        }
    }
    Ok(out)
}

/// `X.trans` next to `X`, when present.
fn translation_of(path: &Path) -> Option<PathBuf> {
    let mut name = path.as_os_str().to_owned();
    name.push(".trans");
    let p = PathBuf::from(name);
    p.is_file().then_some(p)
}

/// Every pair of files with the same stem in `src_dir` and `tgt_dir` (with `X.trans`
/// next to `X` as its translation), read in parallel, in stem order; and one message
/// per file without a partner or that could not be read.
pub fn folder_pairs(
    src_dir: &Path,
    tgt_dir: &Path,
    opts: &ReadOptions,
) -> anyhow::Result<(Vec<DocumentPair>, Vec<String>)> {
    let src = by_stem(src_dir)?;
    let tgt = by_stem(tgt_dir)?;
    let mut errors = Vec::new();
    for (files, other, other_dir) in [(&src, &tgt, tgt_dir), (&tgt, &src, src_dir)] {
        for (stem, path) in files.iter().filter(|(s, _)| !other.contains_key(*s)) {
            errors.push(format!(
                "{}: no file with stem {stem:?} in {}",
                path.display(),
                other_dir.display()
            ));
        }
    }
    let matched: Vec<(&String, &PathBuf, &PathBuf)> = src
        .iter()
        .filter_map(|(stem, s)| tgt.get(stem).map(|t| (stem, s, t)))
        .collect();
    let read: Vec<anyhow::Result<DocumentPair>> = matched
        .par_iter()
        .map(|(stem, s, t)| {
            let (st, tt) = (translation_of(s), translation_of(t));
            read_pair((*stem).clone(), (s, t), (st.as_deref(), tt.as_deref()), opts)
        })
        .collect();
    let mut pairs = Vec::new();
    for r in read {
        match r {
            Ok(p) => pairs.push(p),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    Ok((pairs, errors))
}

/// Translates every side that has no translation yet (the target side only with
/// `both_ways`) with the engine of its direction.
fn translate_missing(
    pairs: &mut [DocumentPair],
    engines: &mut Engines,
    both_ways: bool,
) -> anyhow::Result<()> {
    for pair in pairs {
        let (src_lang, tgt_lang) = (pair.src.lang, pair.tgt.lang);
        if src_lang == tgt_lang {
            continue;
        }
        let mut sides = vec![(&mut pair.src, tgt_lang)];
        if both_ways {
            sides.push((&mut pair.tgt, src_lang));
        }
        for (text, to) in sides {
            if text.translation.is_some() || text.sentences.is_empty() {
                continue;
            }
            let out = engines
                .get(text.lang, to)?
                .translate_document(&text.sentences)
                .with_context(|| format!("translating {}", text.path.display()))?;
            text.translation = Some(out.into_iter().map(|(text, _)| text).collect());
        }
    }
    Ok(())
}

/// Aligns document pairs: translates the sides without a translation when `engine`
/// is given (the engine of each direction loaded once), then aligns every pair in
/// parallel, adding embedding scores when `embedder` is given. With
/// [`AlignConfig::regroup`] and an engine, the pairs are aligned one after the other and
/// the engine of their direction regroups their beads, telling `progress`. One result per
/// pair, in order; a pair that cannot be aligned gets its error with the source path.
pub fn align_documents(
    mut pairs: Vec<DocumentPair>,
    engine: Option<&mut EngineLoader>,
    embedder: Option<&dyn SentenceEmbedder>,
    config: &AlignConfig,
    both_ways: bool,
    progress: Option<&dyn RegroupProgress>,
) -> anyhow::Result<Vec<anyhow::Result<AlignedDocument>>> {
    let with_path = |pair: DocumentPair, likelihood: Option<&mut Likelihood>| {
        let path = pair.src.path.clone();
        align_document(pair, config, embedder, likelihood).with_context(|| path.display().to_string())
    };
    let Some(load) = engine else {
        return Ok(pairs.into_par_iter().map(|pair| with_path(pair, None)).collect());
    };
    let mut engines = Engines {
        load,
        loaded: HashMap::new(),
    };
    translate_missing(&mut pairs, &mut engines, both_ways)?;
    if config.regroup.is_none() {
        return Ok(pairs.into_par_iter().map(|pair| with_path(pair, None)).collect());
    }
    // An engine that cannot score fails here, once, rather than on every document.
    for pair in pairs.iter().filter(|p| p.src.lang != p.tgt.lang) {
        engines.get(pair.src.lang, pair.tgt.lang)?.log_likelihoods(&[])?;
    }
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if pair.src.lang == pair.tgt.lang {
            out.push(with_path(pair, None));
            continue;
        }
        let sentences = pair.sentences() as u64;
        let engine = engines.get(pair.src.lang, pair.tgt.lang)?;
        let mut likelihood = |beads: &[(String, String)]| -> anyhow::Result<Vec<f64>> {
            if let Some(p) = progress {
                p.document(sentences, beads.len());
            }
            let mut scores = Vec::with_capacity(beads.len());
            for chunk in beads.chunks(PROGRESS_CHUNK) {
                scores.extend(engine.log_likelihoods(chunk)?);
                if let Some(p) = progress {
                    p.scored(chunk.len());
                }
            }
            Ok(scores)
        };
        out.push(with_path(pair, Some(&mut likelihood)));
        if let Some(p) = progress {
            p.document_done();
        }
    }
    Ok(out)
}

/// Aligns one document pair with the translations it carries, regrouping its beads with
/// `likelihood` when it is given and [`AlignConfig::regroup`] is set.
pub fn align_document(
    pair: DocumentPair,
    config: &AlignConfig,
    embedder: Option<&dyn SentenceEmbedder>,
    likelihood: Option<&mut Likelihood>,
) -> Result<AlignedDocument, AlignError> {
    let (src, tgt) = (pair.src.side(), pair.tgt.side());
    let alignment = match (likelihood, embedder) {
        (Some(likelihood), _) => align_regrouped(&src, &tgt, config, embedder, likelihood)?,
        (None, Some(e)) => align_embedded(&src, &tgt, config, e)?,
        (None, None) => align(&src, &tgt, config)?,
    };
    let pairs = corpus_pairs(&pair, &alignment);
    let count = |t: &Text| -> usize { t.sentences.iter().map(|s| char_len(s)).sum() };
    let (s, t) = (count(&pair.src), count(&pair.tgt));
    let length_ratio = if s == 0 || t == 0 {
        1.0
    } else {
        t as f64 / s as f64
    };
    Ok(AlignedDocument {
        pair,
        alignment,
        pairs,
        length_ratio,
    })
}

/// Corpus pairs of an aligned document: beads with sentences on both sides, merged
/// sentences joined as running text.
fn corpus_pairs(pair: &DocumentPair, alignment: &Alignment) -> Vec<SentencePair> {
    let (src, tgt) = (&pair.src, &pair.tgt);
    alignment
        .beads
        .iter()
        .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
        .map(|b| SentencePair {
            doc: pair.doc.clone(),
            src_lang: src.lang,
            tgt_lang: tgt.lang,
            src: join_sentences(&src.sentences[b.src.clone()], src.lang),
            tgt: join_sentences(&tgt.sentences[b.tgt.clone()], tgt.lang),
            src_ids: b.src.clone().collect(),
            tgt_ids: b.tgt.clone().collect(),
            score: Some(b.score),
        })
        .collect()
}
