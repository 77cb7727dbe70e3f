//! `bitext merge`: combines the outputs of shard runs into one output folder, as
//! if one unsharded run had produced it.

use super::manifest::{Manifest, Timings, Totals};
use super::{corpus_path, write_manifest, MANIFEST};
use crate::corpus::{open_reader, CorpusWriter, Format, PairReader, SentencePair};
use anyhow::Context;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Merges the run outputs in `dirs` into `output`: files are taken once each (the
/// first folder that lists a path wins, so overlapping shards add no duplicates),
/// pairs are ordered by document then sentence, translations are copied, and the
/// manifest is rebuilt. The corpora are merged as streams (each run wrote its
/// pairs in document order), so memory does not grow with the corpus. Every folder must hold a `corpus.jsonl` (the one format
/// that keeps document ids) and come from the same engine.
pub fn merge(dirs: &[PathBuf], output: &Path) -> anyhow::Result<Manifest> {
    let Some(first_dir) = dirs.first() else {
        anyhow::bail!("nothing to merge: give at least one run output folder");
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(dir) = dirs.iter().find(|d| same(d, output)) {
        anyhow::bail!(
            "{}: the merge output must not be one of the folders merged",
            dir.display()
        );
    }
    let manifests = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first = &manifests[0];
    for (dir, m) in dirs.iter().zip(&manifests) {
        if m.engine != first.engine {
            anyhow::bail!(
                "{}: made with engine {:?}, but {} with {:?}; only outputs of the same engine merge",
                dir.join(MANIFEST).display(),
                m.engine.signature,
                first_dir.join(MANIFEST).display(),
                first.engine.signature
            );
        }
    }

    let mut seen = HashSet::new();
    let mut files = Vec::new();
    let mut streams = Vec::new();
    let mut formats = Vec::new();
    let mut timings = Timings::default();
    let mut engine_sentences = 0;
    for (dir, m) in dirs.iter().zip(&manifests) {
        let mine: HashSet<String> = m
            .files
            .iter()
            .filter(|f| seen.insert(f.path.clone()))
            .map(|f| f.path.clone())
            .collect();
        let jsonl = corpus_path(dir, Format::Jsonl);
        if !jsonl.exists() {
            anyhow::bail!(
                "{}: missing; run the shards with --formats including jsonl",
                jsonl.display()
            );
        }
        for entry in m.files.iter().filter(|f| mine.contains(&f.path)) {
            if let Some(rel) = &entry.output {
                let (from, to) = (dir.join(rel), output.join(rel));
                let bytes = std::fs::read(&from).with_context(|| from.display().to_string())?;
                crate::fsio::write_atomic(&to, &bytes).with_context(|| to.display().to_string())?;
            }
            files.push(entry.clone());
        }
        streams.push(DocStream::open(jsonl, mine)?);
        formats.extend(
            m.settings
                .formats
                .iter()
                .filter(|f| !formats.contains(*f))
                .collect::<Vec<_>>(),
        );
        engine_sentences += m.totals.engine_sentences;
        timings.read_s += m.timings.read_s;
        timings.translate_s += m.timings.translate_s;
        timings.write_s += m.timings.write_s;
        // Shards run side by side: the merged run took as long as the slowest.
        timings.total_s = timings.total_s.max(m.timings.total_s);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut writers = formats
        .iter()
        .map(|&format| CorpusWriter::create(&corpus_path(output, format), format))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Repeatedly take the whole document that sorts first among the streams' heads.
    loop {
        let next = streams
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.head.as_ref().map(|p| (i, p.doc.clone())))
            .min_by(|a, b| a.1.cmp(&b.1));
        let Some((i, doc)) = next else { break };
        while let Some(pair) = streams[i].head.take_if(|p| p.doc == doc) {
            for writer in &mut writers {
                writer.write(&pair)?;
            }
            streams[i].advance()?;
        }
    }
    for writer in writers {
        writer.finish()?;
    }
    let mut totals = Totals::of(&files);
    totals.engine_sentences = engine_sentences;
    let mut settings = first.settings.clone();
    settings.shard = None;
    settings.formats = formats;
    let manifest = Manifest {
        tool: first.tool.clone(),
        tool_version: first.tool_version.clone(),
        engine: first.engine.clone(),
        settings,
        files,
        timings: timings.with_rates(&totals),
        totals,
        quality: None,
    };
    write_manifest(output, &manifest)?;
    Ok(manifest)
}

/// Reads `dir/manifest.json`.
pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a bitext manifest", path.display()))
}

/// The pairs of one run's `corpus.jsonl` that belong to the documents it
/// contributes, checked to come in document order.
struct DocStream {
    path: PathBuf,
    reader: PairReader,
    mine: HashSet<String>,
    head: Option<SentencePair>,
    /// Document of the last pair read, contributed or not.
    last_doc: Option<String>,
}

impl DocStream {
    fn open(path: PathBuf, mine: HashSet<String>) -> anyhow::Result<DocStream> {
        let reader = open_reader(&path, Format::Jsonl)?;
        let mut stream = DocStream {
            path,
            reader,
            mine,
            head: None,
            last_doc: None,
        };
        stream.advance()?;
        Ok(stream)
    }

    /// Moves `head` to the next pair of a contributed document.
    fn advance(&mut self) -> anyhow::Result<()> {
        self.head = None;
        for pair in self.reader.by_ref() {
            let pair = pair?;
            if let Some(previous) = self.last_doc.as_ref().filter(|doc| pair.doc < **doc) {
                anyhow::bail!(
                    "{}: document {:?} comes after {previous:?}; merge needs the document order that `bitext run` writes",
                    self.path.display(),
                    pair.doc,
                );
            }
            self.last_doc = Some(pair.doc.clone());
            if self.mine.contains(&pair.doc) {
                self.head = Some(pair);
                break;
            }
        }
        Ok(())
    }
}
