//! Multilingual sentence embeddings (multilingual-e5-small, LaBSE, USE multilingual v3)
//! for alignment and for scoring translated pairs.
//!
//! e5 and LaBSE are BERT encoders run by candle-transformers' `bert` module; they differ
//! in the head: e5 averages the token vectors (and wants a `query: ` prefix), LaBSE takes
//! the first token through a dense layer and `tanh`. USE multilingual v3 ([`UseM3`]) is a
//! convolutional encoder without attention, about 100 times faster than e5 on CPU.
//! [`load_embedder`] finds the weights: the offline copies fetched by
//! `scripts/fetch-models.sh`, the Hugging Face hub cache, or a path.

mod bert;
mod cache;
mod e5s1;
mod files;
pub mod quality;
mod use_m3;

pub use bert::{BertEmbedder, Pooling};
pub use cache::{CacheStats, CachedEmbedder};
pub use files::load_embedder;
pub use use_m3::{UseM3, USE_FINGERPRINT_PREFIX};

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
