//! The on-disk translation cache: a translation per (engine signature, direction,
//! normalised sentence), so duplicated sentences and reruns cost nothing.
//!
//! The file is JSON lines, one line per translated batch (or per answer, for engines
//! whose answers do not depend on their batch). A run killed while appending leaves
//! at most one torn last line; loading drops it (and cuts it off the file), so a
//! batch is cached either completely or not at all. That keeps the batches of a
//! resumed run identical to those of an uninterrupted one.

use crate::translate::{InContext, Verdict};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Collapses runs of whitespace into one space and trims: the form that is
/// translated and looked up, so spacing differences share one entry.
pub fn normalize(sentence: &str) -> String {
    sentence.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One appended line: the keys and translations of one batch, with the engine's
/// verdicts when it gives any ([`crate::translate::Engine::translate_checked`]) and
/// the reasons for its rejections.
#[derive(Serialize, Deserialize)]
struct BatchRecord {
    keys: Vec<String>,
    translations: Vec<String>,
    #[serde(default, skip_serializing_if = "all_none")]
    accepted: Vec<Option<bool>>,
    #[serde(default, skip_serializing_if = "all_none")]
    reasons: Vec<Option<String>>,
}

fn all_none<T>(values: &[Option<T>]) -> bool {
    values.iter().all(Option::is_none)
}

/// Reason recorded for a rejection cached before reasons were kept.
const UNRECORDED: &str = "unrecorded";

/// A cached translation and the engine's verdict on it.
struct Entry {
    translation: String,
    verdict: Verdict,
}

/// Translations already computed, backed by an append-only file.
pub struct TranslationCache {
    path: PathBuf,
    /// Hash of the engine signature and direction that every key includes.
    scope: String,
    entries: HashMap<String, Entry>,
    file: std::fs::File,
}

impl TranslationCache {
    /// Opens (or creates) the cache at `path` for translations made by an engine with
    /// `signature` from `from` to `to`. With `fresh`, previous entries are discarded.
    pub fn open(path: &Path, signature: &str, direction: &str, fresh: bool) -> anyhow::Result<Self> {
        let context = || path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(context)?;
        }
        let mut entries = HashMap::new();
        let mut valid_len = 0u64;
        if !fresh && path.exists() {
            let bytes = std::fs::read(path).with_context(context)?;
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                let Some(record) = line
                    .strip_suffix(b"\n")
                    .and_then(|l| serde_json::from_slice::<BatchRecord>(l).ok())
                    .filter(|r| {
                        r.keys.len() == r.translations.len()
                            && (r.accepted.is_empty() || r.accepted.len() == r.keys.len())
                            && (r.reasons.is_empty() || r.reasons.len() == r.keys.len())
                    })
                else {
                    tracing::warn!(
                        "{}: dropping a torn or invalid entry (interrupted run)",
                        path.display()
                    );
                    break;
                };
                entries.extend(record.entries());
                valid_len += line.len() as u64;
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(path)
            .with_context(context)?;
        file.set_len(valid_len).with_context(context)?;
        let mut cache = TranslationCache {
            path: path.to_path_buf(),
            scope: hex(&Sha256::digest(format!("{signature}\0{direction}"))),
            entries,
            file,
        };
        std::io::Seek::seek(&mut cache.file, std::io::SeekFrom::End(0)).with_context(context)?;
        Ok(cache)
    }

    /// The cache key of a normalised sentence.
    pub fn key(&self, normalized: &str) -> String {
        hex(&Sha256::digest(format!("{}\0{normalized}", self.scope)))
    }

    /// The cache key of a normalised sentence read after its (normalised) context: a
    /// translation made with context is only reused for the same sentence after the same
    /// sentences. Without context it is [`TranslationCache::key`], so that caches made
    /// before context existed still serve engines that read none.
    pub fn key_in_context(&self, item: &InContext) -> String {
        if item.context.is_empty() {
            return self.key(&item.sentence);
        }
        let mut text = format!("{}\0{}", self.scope, item.sentence);
        for sentence in &item.context {
            text.push_str("\0context\0");
            text.push_str(sentence);
        }
        hex(&Sha256::digest(text))
    }

    /// The cached translation of the normalised sentence with `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|e| e.translation.as_str())
    }

    /// The engine's verdict on the cached translation with `key` (unchecked when absent).
    pub fn verdict(&self, key: &str) -> &Verdict {
        self.entries.get(key).map_or(&Verdict::Unchecked, |e| &e.verdict)
    }

    /// Number of cached translations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records the translations of one batch, with the engine's verdicts, in a single append.
    pub fn insert_batch(
        &mut self,
        keys: Vec<String>,
        translations: Vec<(String, Verdict)>,
    ) -> anyhow::Result<()> {
        let (translations, verdicts): (Vec<String>, Vec<Verdict>) = translations.into_iter().unzip();
        let record = BatchRecord {
            keys,
            translations,
            accepted: verdicts.iter().map(Verdict::accepted).collect(),
            reasons: verdicts
                .into_iter()
                .map(|v| match v {
                    Verdict::Rejected(reason) => Some(reason),
                    _ => None,
                })
                .collect(),
        };
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .with_context(|| self.path.display().to_string())?;
        self.entries.extend(record.entries());
        Ok(())
    }
}

impl BatchRecord {
    fn entries(self) -> impl Iterator<Item = (String, Entry)> {
        let accepted = self.accepted.into_iter().chain(std::iter::repeat(None));
        let reasons = self.reasons.into_iter().chain(std::iter::repeat(None));
        let verdicts = accepted.zip(reasons).map(|verdict| match verdict {
            (None, _) => Verdict::Unchecked,
            (Some(true), _) => Verdict::Accepted,
            (Some(false), reason) => Verdict::Rejected(reason.unwrap_or_else(|| UNRECORDED.into())),
        });
        self.keys.into_iter().zip(
            self.translations
                .into_iter()
                .zip(verdicts)
                .map(|(translation, verdict)| Entry { translation, verdict }),
        )
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_collapses_whitespace() {
        assert_eq!(normalize("  The\tcity \n cut  PM2.5. "), "The city cut PM2.5.");
    }

    #[test]
    fn a_key_in_context_depends_on_the_context_and_equals_the_plain_key_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TranslationCache::open(&dir.path().join("c.jsonl"), "model-a", "en-zh", false).unwrap();
        let item = |context: &[&str]| InContext {
            sentence: "She agreed.".into(),
            context: context.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(cache.key_in_context(&item(&[])), cache.key("She agreed."));
        let after_li = cache.key_in_context(&item(&["Li Wei asked."]));
        assert_ne!(after_li, cache.key("She agreed."));
        assert_ne!(after_li, cache.key_in_context(&item(&["Zhang Min asked."])));
        assert_ne!(after_li, cache.key_in_context(&item(&["Li Wei", "asked."])));
        assert_eq!(after_li, cache.key_in_context(&item(&["Li Wei asked."])));
    }

    #[test]
    fn entries_survive_reopening_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let mut cache = TranslationCache::open(&path, "model-a", "en-zh", false).unwrap();
        let k = cache.key("Hello.");
        cache
            .insert_batch(vec![k.clone()], vec![("你好。".into(), Verdict::Unchecked)])
            .unwrap();
        drop(cache);
        // Simulate a kill in the middle of appending the next batch.
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"keys\":[\"abc\"],\"transl").unwrap();
        drop(f);

        let mut cache = TranslationCache::open(&path, "model-a", "en-zh", false).unwrap();
        assert_eq!(cache.get(&k), Some("你好。"));
        assert_eq!(cache.len(), 1);
        let k2 = cache.key("Bye.");
        cache
            .insert_batch(
                vec![k2.clone()],
                vec![("再见。".into(), Verdict::Rejected("WrongScript".into()))],
            )
            .unwrap();
        drop(cache);
        let cache = TranslationCache::open(&path, "model-a", "en-zh", false).unwrap();
        assert_eq!((cache.get(&k), cache.get(&k2)), (Some("你好。"), Some("再见。")));
        assert_eq!(
            (cache.verdict(&k), cache.verdict(&k2)),
            (&Verdict::Unchecked, &Verdict::Rejected("WrongScript".into()))
        );

        // A rejection cached before reasons were kept still reads as one.
        let k3 = cache.key("Old.");
        let old = format!("{{\"keys\":[\"{k3}\"],\"translations\":[\"旧。\"],\"accepted\":[false]}}\n");
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(old.as_bytes()).unwrap();
        drop(f);
        let cache = TranslationCache::open(&path, "model-a", "en-zh", false).unwrap();
        assert_eq!(cache.verdict(&k3), &Verdict::Rejected(UNRECORDED.into()));

        let other_model = TranslationCache::open(&path, "model-b", "en-zh", false).unwrap();
        assert_eq!(other_model.get(&other_model.key("Hello.")), None);
        let fresh = TranslationCache::open(&path, "model-a", "en-zh", true).unwrap();
        assert!(fresh.is_empty());
    }
}
