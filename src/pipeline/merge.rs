//! `bitext merge`: combines the outputs of shard runs into one output folder, as
//! if one unsharded run had produced it.

use super::manifest::{Manifest, MergeRecord, Settings, Timings, Totals};
use super::{corpus_path, lock_output, write_manifest, Shard, LOCK, MANIFEST, STATE_DIR};
use crate::corpus::{open_reader, CorpusWriter, Format, PairReader, SentencePair};
use crate::model::embed::quality::ScoreSummary;
use anyhow::Context;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Merges the run outputs in `dirs` into `output`: pairs are ordered by document
/// then sentence, translations are copied, and the manifest is rebuilt. The
/// corpora are merged as streams (each run wrote its pairs in document order), so
/// memory does not grow with the corpus. Every folder must hold a `corpus.jsonl`
/// (the one format that keeps document ids).
///
/// The folders must form one shard set ([`check_shard_set`]); with
/// `allow_partial`, shards may be missing and the merged manifest lists them.
pub fn merge(dirs: &[PathBuf], output: &Path, allow_partial: bool) -> anyhow::Result<Manifest> {
    if dirs.is_empty() {
        anyhow::bail!("nothing to merge: give at least one run output folder");
    }
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
    // Held until the merge is written: no run may start writing to an input meanwhile.
    let _input_locks = dirs
        .iter()
        .map(|d| lock_input(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifests = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runs: Vec<(&Path, &Manifest)> = dirs.iter().map(PathBuf::as_path).zip(&manifests).collect();
    let record = check_shard_set(&runs, allow_partial)?;
    let _lock = lock_output(output)?;

    let mut seen = BTreeMap::new();
    let mut files = Vec::new();
    let mut streams = Vec::new();
    let mut timings = Timings::default();
    let mut engine_sentences = 0;
    for (dir, m) in &runs {
        for entry in &m.files {
            if let Some(other) = seen.insert(entry.path.clone(), *dir) {
                anyhow::bail!(
                    "{}: listed by both {} and {}; shards never share a file",
                    entry.path,
                    other.join(MANIFEST).display(),
                    dir.join(MANIFEST).display()
                );
            }
        }
        let jsonl = corpus_path(dir, Format::Jsonl);
        if !jsonl.exists() {
            anyhow::bail!(
                "{}: missing; run the shards with --formats including jsonl",
                jsonl.display()
            );
        }
        for entry in &m.files {
            if let Some(rel) = &entry.output {
                let (from, to) = (dir.join(rel), output.join(rel));
                let bytes = std::fs::read(&from).with_context(|| from.display().to_string())?;
                crate::fsio::write_atomic(&to, &bytes).with_context(|| to.display().to_string())?;
            }
            files.push(entry.clone());
        }
        let mine = m.files.iter().map(|f| f.path.clone()).collect();
        streams.push(DocStream::open(jsonl, mine)?);
        engine_sentences += m.totals.engine_sentences;
        timings.read_s += m.timings.read_s;
        timings.translate_s += m.timings.translate_s;
        timings.write_s += m.timings.write_s;
        timings.total_s += m.timings.total_s;
    }
    let starts: Option<Vec<f64>> = manifests.iter().map(|m| m.timings.started_unix_s).collect();
    let ends: Option<Vec<f64>> = manifests.iter().map(|m| m.timings.finished_unix_s).collect();
    timings.started_unix_s = starts.map(|s| s.into_iter().fold(f64::INFINITY, f64::min));
    timings.finished_unix_s = ends.map(|e| e.into_iter().fold(f64::NEG_INFINITY, f64::max));
    let wall_span_s = timings
        .started_unix_s
        .zip(timings.finished_unix_s)
        .map(|(start, end)| end - start);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let first = manifests[0].clone();
    let mut writers = first
        .settings
        .formats
        .iter()
        .map(|&format| CorpusWriter::create(&corpus_path(output, format), format))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut scores = Vec::new();
    // Repeatedly take the whole document that sorts first among the streams' heads.
    loop {
        let next = streams
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.head.as_ref().map(|p| (i, p.doc.clone())))
            .min_by(|a, b| a.1.cmp(&b.1));
        let Some((i, doc)) = next else { break };
        while let Some(pair) = streams[i].head.take_if(|p| p.doc == doc) {
            scores.extend(pair.score);
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
    let mut settings = first.settings;
    settings.shard = Some(shard_list(&record.merged, record.shard_count));
    let manifest = Manifest {
        tool: first.tool,
        tool_version: first.tool_version,
        engine: first.engine,
        settings,
        files,
        timings: timings.with_rates(&totals),
        totals,
        // Recomputed from the merged pairs (pairs a shard left out with --min-score are
        // not among them).
        quality: first
            .quality
            .as_ref()
            .map(|q| ScoreSummary::of(&q.scorer, &scores, q.threshold)),
        merge: Some(MergeRecord {
            wall_span_s,
            ..record
        }),
    };
    write_manifest(output, &manifest)?;
    Ok(manifest)
}

/// Checks that `runs` (folder, manifest) form one shard set: every manifest names
/// the same shard count N, input, engine and settings (apart from `--force`), and
/// the shards are exactly `0..N`, once each (without `allow_partial`: all of them).
/// The error names every shard that is missing or duplicated and every difference.
pub fn check_shard_set(runs: &[(&Path, &Manifest)], allow_partial: bool) -> anyhow::Result<MergeRecord> {
    let mut problems = Vec::new();
    let mut holders: BTreeMap<usize, Vec<&Path>> = BTreeMap::new();
    let mut counts: BTreeMap<usize, Vec<&Path>> = BTreeMap::new();
    for (dir, m) in runs {
        match shards_of(m) {
            Ok((shards, count)) => {
                counts.entry(count).or_default().push(dir);
                for k in shards {
                    holders.entry(k).or_default().push(dir);
                }
            }
            Err(e) => problems.push(format!("{}: {e}", dir.join(MANIFEST).display())),
        }
    }
    if counts.len() > 1 {
        let by_count: Vec<String> = counts
            .iter()
            .map(|(n, dirs)| format!("N={n} in {}", list_dirs(dirs)))
            .collect();
        problems.push(format!("the shard counts differ: {}", by_count.join("; ")));
    }
    let count = counts.keys().next().copied().unwrap_or(1);
    for (k, dirs) in holders.iter().filter(|(_, dirs)| dirs.len() > 1) {
        problems.push(format!(
            "shard {k}/{count} is given {} times: {}",
            dirs.len(),
            list_dirs(dirs)
        ));
    }
    let missing: Vec<usize> = (0..count).filter(|k| !holders.contains_key(k)).collect();
    if !missing.is_empty() && !allow_partial {
        problems.push(format!(
            "shards missing: {} (of 0..{count}; --allow-partial merges the rest)",
            shard_list(&missing, count)
        ));
    }
    let (first_dir, first) = runs[0];
    for (dir, m) in &runs[1..] {
        for (what, a, b) in differences(first, m) {
            problems.push(format!(
                "{what} differs: {a} in {}, {b} in {}",
                first_dir.display(),
                dir.display()
            ));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("the folders are not one shard set:\n  {}", problems.join("\n  "));
    }
    Ok(MergeRecord {
        shard_count: count,
        merged: holders.into_keys().collect(),
        missing,
        wall_span_s: None,
    })
}

/// The shards a manifest holds and the shard count: `K/N`, `K,K,.../N` (a merge)
/// or, for an unsharded run, shard 0 of 1.
fn shards_of(m: &Manifest) -> Result<(Vec<usize>, usize), String> {
    let Some(text) = &m.settings.shard else {
        return Ok((vec![0], 1));
    };
    let bad = || format!("bad settings.shard {text:?}");
    let (ks, n) = text.rsplit_once('/').ok_or_else(bad)?;
    ks.split(',')
        .map(|k| {
            format!("{k}/{n}")
                .parse::<Shard>()
                .map(|s| (s.index, s.count))
                .map_err(|_| bad())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|shards| (shards.iter().map(|s| s.0).collect(), shards[0].1))
}

/// `K,K,.../N`.
fn shard_list(shards: &[usize], count: usize) -> String {
    let ks: Vec<String> = shards.iter().map(usize::to_string).collect();
    format!("{}/{count}", ks.join(","))
}

fn list_dirs(dirs: &[&Path]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The engine fields and settings in which two manifests differ, as (name, value
/// in `a`, value in `b`). The shard and `--force` may differ within a set.
fn differences(a: &Manifest, b: &Manifest) -> Vec<(String, String, String)> {
    let comparable = |m: &Manifest| {
        let settings = Settings {
            shard: None,
            force: false,
            ..m.settings.clone()
        };
        let mut fields = serde_json::Map::new();
        for (prefix, value) in [
            ("engine", serde_json::to_value(&m.engine)),
            ("settings", serde_json::to_value(settings)),
        ] {
            if let Ok(serde_json::Value::Object(map)) = value {
                fields.extend(map.into_iter().map(|(k, v)| (format!("{prefix}.{k}"), v)));
            }
        }
        fields
    };
    let (a, b) = (comparable(a), comparable(b));
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| {
            (
                k.clone(),
                v.to_string(),
                b.get(k).map_or("nothing".into(), |v| v.to_string()),
            )
        })
        .collect()
}

/// Refuses a folder that a run is still writing (it holds its lock), and keeps
/// a shared lock on it so that no run starts writing to it during the merge.
fn lock_input(dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    let path = dir.join(STATE_DIR).join(LOCK);
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(None); // never locked: not a run of this version, or not a run at all
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{}: a bitext run is still writing to this folder; merge it once the run has finished",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| path.display().to_string()),
    }
}

/// Reads `dir/manifest.json`.
pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        anyhow::bail!(
            "{}: missing: the run into {} has not finished (run it again: it resumes), \
             or that is not a bitext output folder",
            path.display(),
            dir.display()
        );
    }
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
