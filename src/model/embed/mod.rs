//! Multilingual sentence embeddings (multilingual-e5-small, LaBSE) for alignment.

/// Turns sentences into L2-normalised vectors in a space shared by English and Chinese.
pub trait SentenceEmbedder: Send + Sync {
    /// Vector length.
    fn dim(&self) -> usize;

    /// Embeds `texts`, one unit-length vector per text, in input order.
    fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>>;
}
