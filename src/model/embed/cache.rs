//! An on-disk cache of sentence vectors, so reruns and tuning sweeps embed nothing twice.
//!
//! Vectors live under `DIR/<model fingerprint>/` in shard files, one per batch of
//! newly embedded texts, each written atomically: a crash loses at most the batch in
//! flight. A shard is a sequence of records, each the SHA-256 of the text (32 bytes)
//! followed by `dim` little-endian f32. The fingerprint covers the weights, the
//! tokenizer and the prefix, so a changed model never reads stale vectors.

use super::SentenceEmbedder;
use crate::fsio::write_atomic;
use anyhow::{ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Texts embedded between two shard writes: what an interruption can lose.
const SHARD: usize = 512;

/// Extension of shard files.
const EXT: &str = "vec";

type Key = [u8; 32];

/// A [`SentenceEmbedder`] that answers from disk what it has seen before and embeds
/// (and stores) only the rest.
pub struct CachedEmbedder {
    inner: Box<dyn SentenceEmbedder>,
    dir: PathBuf,
    known: Mutex<HashMap<Key, Vec<f32>>>,
    stats: Mutex<CacheStats>,
}

/// How many texts a [`CachedEmbedder`] found on disk and how many it embedded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Texts answered from the cache (a text repeated within one call counts once).
    pub hits: usize,
    /// Texts the model embedded.
    pub embedded: usize,
}

impl CachedEmbedder {
    /// Wraps `inner`, reading and writing vectors under `dir/<fingerprint>/`.
    pub fn open(inner: Box<dyn SentenceEmbedder>, dir: &Path) -> Result<Self> {
        let dir = dir.join(inner.fingerprint());
        let mut known = HashMap::new();
        if dir.is_dir() {
            let record = 32 + 4 * inner.dim();
            for entry in std::fs::read_dir(&dir).with_context(|| format!("{}: cannot list", dir.display()))? {
                let path = entry?.path();
                if path.extension().is_none_or(|e| e != EXT) {
                    continue;
                }
                let bytes =
                    std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
                ensure!(
                    bytes.len().is_multiple_of(record),
                    "{}: not a shard of {}-dimensional vectors; delete it",
                    path.display(),
                    inner.dim()
                );
                for chunk in bytes.chunks_exact(record) {
                    let (key, floats) = chunk.split_at(32);
                    let vector = floats
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    known.insert(key.try_into().expect("split at 32"), vector);
                }
            }
        }
        Ok(CachedEmbedder {
            inner,
            dir,
            known: Mutex::new(known),
            stats: Mutex::new(CacheStats::default()),
        })
    }

    /// The folder holding this model's shards.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Embeds `texts` (distinct, not cached) in shards, storing each shard before the next.
    fn embed_missing(&self, texts: &[(Key, &String)]) -> Result<()> {
        for shard in texts.chunks(SHARD) {
            let batch: Vec<String> = shard.iter().map(|(_, t)| (*t).clone()).collect();
            let vectors = self.inner.embed(&batch)?;
            let mut bytes = Vec::with_capacity(shard.len() * (32 + 4 * self.inner.dim()));
            for ((key, _), vector) in shard.iter().zip(&vectors) {
                bytes.extend_from_slice(key);
                bytes.extend(vector.iter().flat_map(|x| x.to_le_bytes()));
            }
            // Named after its content: rewriting the same shard is harmless.
            let name = format!("{}.{EXT}", hex(&Sha256::digest(&bytes)[..16]));
            let path = self.dir.join(name);
            write_atomic(&path, &bytes).with_context(|| format!("{}: cannot write", path.display()))?;
            let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            for ((key, _), vector) in shard.iter().zip(vectors) {
                known.insert(*key, vector);
            }
            self.stats.lock().unwrap_or_else(|e| e.into_inner()).embedded += shard.len();
            tracing::debug!("embedded and cached {} texts in {}", shard.len(), path.display());
        }
        Ok(())
    }
}

impl SentenceEmbedder for CachedEmbedder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let keys: Vec<Key> = texts
            .iter()
            .map(|t| Sha256::digest(t.as_bytes()).into())
            .collect();
        let mut missing: HashMap<Key, &String> = HashMap::new();
        {
            let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            for (key, text) in keys.iter().zip(texts) {
                if !known.contains_key(key) {
                    missing.insert(*key, text);
                }
            }
            let distinct: std::collections::HashSet<&Key> = keys.iter().collect();
            self.stats.lock().unwrap_or_else(|e| e.into_inner()).hits += distinct.len() - missing.len();
        }
        // Shards of similar lengths batch with little padding.
        let mut missing: Vec<(Key, &String)> = missing.into_iter().collect();
        missing.sort_by(|a, b| a.1.len().cmp(&b.1.len()).then(a.0.cmp(&b.0)));
        self.embed_missing(&missing)?;
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .map(|k| {
                known
                    .get(k)
                    .cloned()
                    .context("a vector the model returned went missing")
            })
            .collect()
    }
}

/// Lower-case hexadecimal digits of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A stand-in model: the vector of a text is its byte count and its first byte,
    /// and it counts the texts it was asked to embed.
    struct Counting(Arc<AtomicUsize>);

    impl SentenceEmbedder for Counting {
        fn dim(&self) -> usize {
            2
        }
        fn fingerprint(&self) -> String {
            "counting-v1".into()
        }
        fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, f32::from(t.bytes().next().unwrap_or(0))])
                .collect())
        }
    }

    fn texts(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_second_run_reads_every_vector_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let input = texts(&["alpha", "be", "alpha", "gamma ray"]);
        let first = CachedEmbedder::open(Box::new(Counting(calls.clone())), dir.path()).unwrap();
        let v1 = first.embed(&input).unwrap();
        assert_eq!(v1[0], vec![5.0, f32::from(b'a')]);
        assert_eq!(v1[0], v1[2]);
        // "alpha" twice in one call is embedded once.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(first.stats(), CacheStats { hits: 0, embedded: 3 });

        let second = CachedEmbedder::open(Box::new(Counting(calls.clone())), dir.path()).unwrap();
        assert_eq!(second.embed(&input).unwrap(), v1);
        assert_eq!(calls.load(Ordering::SeqCst), 3, "nothing re-embedded");
        assert_eq!(second.stats(), CacheStats { hits: 3, embedded: 0 });

        // Only the new text reaches the model.
        second.embed(&texts(&["be", "delta"])).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_damaged_shard_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let shard_dir = dir.path().join("counting-v1");
        std::fs::create_dir_all(&shard_dir).unwrap();
        std::fs::write(shard_dir.join("broken.vec"), [0u8; 7]).unwrap();
        let err = CachedEmbedder::open(Box::new(Counting(calls)), dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("broken.vec") && err.contains("delete it"), "{err}");
    }
}
