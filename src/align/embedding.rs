//! The embedding term: cosine of multilingual sentence vectors, margin-normalised as in
//! Bertalign (the bead's cosine minus the mean cosine of each side's vector with the
//! sentences just before and after the other side), merged beads compared on vectors
//! of their concatenated sentences.
//!
//! Embedding dominates the cost of an alignment, so it happens in two steps. First every
//! single sentence is embedded, and a block of sentences gets the normalised sum of its
//! sentences' vectors. Then, where a path found with those sums is uncertain (a bead that
//! is not one-to-one, and the beads beside it), the blocks of at most `span` sentences
//! that a bead inside the search window can use get vectors of their own.

use super::search::shapes;
use super::window::Window;
use crate::model::embed::SentenceEmbedder;
use crate::text::Lang;
use std::borrow::Cow;
use std::ops::Range;

/// Vectors of one side's sentence blocks.
pub struct SideVectors {
    /// Sentences on this side.
    n: usize,
    /// Longest block with its own vector.
    span: usize,
    dim: usize,
    /// Row of block `start..start + len` in `data`, at `(len - 1) * n + start`; `u32::MAX` when not embedded.
    index: Vec<u32>,
    data: Vec<f32>,
}

impl SideVectors {
    /// Vectors of the `n` single sentences, `vectors[i]` for sentence `i`.
    fn new(n: usize, span: usize, dim: usize, vectors: Vec<Vec<f32>>) -> Self {
        let mut side = SideVectors {
            n,
            span,
            dim,
            index: vec![u32::MAX; n * span],
            data: Vec::with_capacity(n * dim),
        };
        let singles: Vec<Range<usize>> = (0..n).map(|s| s..s + 1).collect();
        side.insert(&singles, vectors);
        side
    }

    /// Stores `vectors[i]` as the vector of `blocks[i]`.
    fn insert(&mut self, blocks: &[Range<usize>], vectors: Vec<Vec<f32>>) {
        for (block, vector) in blocks.iter().zip(vectors) {
            self.index[(block.len() - 1) * self.n + block.start] = (self.data.len() / self.dim) as u32;
            self.data.extend(
                vector
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(0.0))
                    .take(self.dim),
            );
        }
    }

    fn embedded(&self, r: &Range<usize>) -> Option<&[f32]> {
        if r.is_empty() || r.len() > self.span {
            return None;
        }
        let row = *self.index.get((r.len() - 1) * self.n + r.start)?;
        (row != u32::MAX).then(|| &self.data[row as usize * self.dim..(row as usize + 1) * self.dim])
    }

    /// The block's own vector, or the normalised sum of its sentences' vectors.
    fn vector(&self, r: Range<usize>) -> Cow<'_, [f32]> {
        if let Some(v) = self.embedded(&r) {
            return Cow::Borrowed(v);
        }
        let mut sum = vec![0.0f32; self.dim];
        for s in r {
            if let Some(v) = self.embedded(&(s..s + 1)) {
                sum.iter_mut().zip(v).for_each(|(a, b)| *a += b);
            }
        }
        let norm = dot(&sum, &sum).sqrt().max(1e-12);
        sum.iter_mut().for_each(|x| *x /= norm);
        Cow::Owned(sum)
    }

    /// The single sentence `s`, when it exists.
    fn sentence(&self, s: Option<usize>) -> Option<&[f32]> {
        s.filter(|&s| s < self.n).and_then(|s| self.embedded(&(s..s + 1)))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cosine similarities of both sides' sentence blocks.
pub struct EmbeddingTerm {
    src: SideVectors,
    tgt: SideVectors,
}

/// Why the embedding term could not be built.
#[derive(Debug, thiserror::Error)]
#[error("embedding: {0:#}")]
pub struct EmbeddingError(#[from] anyhow::Error);

impl EmbeddingTerm {
    /// Embeds every sentence of both sides; blocks of 2..=`span` sentences get vectors of
    /// their own only through [`EmbeddingTerm::embed_blocks`].
    pub fn new(
        src: (&[String], Lang),
        tgt: (&[String], Lang),
        span: usize,
        embedder: &dyn SentenceEmbedder,
    ) -> Result<Self, EmbeddingError> {
        let span = span.max(1);
        let mut texts = src.0.to_vec();
        texts.extend_from_slice(tgt.0);
        let mut vectors = embedder.embed(&texts)?;
        let tgt_vectors = vectors.split_off(src.0.len());
        let dim = embedder.dim();
        Ok(EmbeddingTerm {
            src: SideVectors::new(src.0.len(), span, dim, vectors),
            tgt: SideVectors::new(tgt.0.len(), span, dim, tgt_vectors),
        })
    }

    /// Embeds the blocks of 2..=`span` sentences that beads of at most `max_bead`
    /// sentences inside `window` can pair, keeping those whose sentences all lie where
    /// `uncertain` (one flag per sentence, per side) is set. Returns the blocks embedded.
    pub fn embed_blocks(
        &mut self,
        src: (&[String], Lang),
        tgt: (&[String], Lang),
        window: &Window,
        max_bead: usize,
        uncertain: (&[bool], &[bool]),
        embedder: &dyn SentenceEmbedder,
    ) -> Result<usize, EmbeddingError> {
        let (src_blocks, tgt_blocks) = blocks(window, max_bead, self.src.span, src.0.len(), tgt.0.len());
        let keep = |blocks: Vec<Range<usize>>, flags: &[bool]| -> Vec<Range<usize>> {
            blocks
                .into_iter()
                .filter(|b| b.len() > 1 && flags[b.clone()].iter().all(|&f| f))
                .collect()
        };
        let (src_blocks, tgt_blocks) = (keep(src_blocks, uncertain.0), keep(tgt_blocks, uncertain.1));
        let mut texts: Vec<String> = src_blocks.iter().map(|b| join(src.0, b, src.1)).collect();
        texts.extend(tgt_blocks.iter().map(|b| join(tgt.0, b, tgt.1)));
        let mut vectors = embedder.embed(&texts)?;
        let tgt_vectors = vectors.split_off(src_blocks.len());
        self.src.insert(&src_blocks, vectors);
        self.tgt.insert(&tgt_blocks, tgt_vectors);
        Ok(texts.len())
    }

    /// Cosine of the two blocks' vectors.
    pub fn cosine(&self, src: Range<usize>, tgt: Range<usize>) -> f64 {
        f64::from(dot(&self.src.vector(src), &self.tgt.vector(tgt)))
    }

    /// The cosine minus `margin` times the mean cosine of each side's vector with the
    /// sentences just before and after the other side (Bertalign's margin).
    pub fn score(&self, src: Range<usize>, tgt: Range<usize>, margin: f64) -> f64 {
        let (a, b) = (self.src.vector(src.clone()), self.tgt.vector(tgt.clone()));
        let own = f64::from(dot(&a, &b));
        if margin == 0.0 {
            return own;
        }
        let neighbours = |v: &[f32], other: &SideVectors, r: &Range<usize>| -> Option<f64> {
            let sims: Vec<f32> = [r.start.checked_sub(1), Some(r.end)]
                .into_iter()
                .filter_map(|s| other.sentence(s))
                .map(|w| dot(v, w))
                .collect();
            (!sims.is_empty()).then(|| f64::from(sims.iter().sum::<f32>()) / sims.len() as f64)
        };
        let sides: Vec<f64> = [neighbours(&a, &self.tgt, &tgt), neighbours(&b, &self.src, &src)]
            .into_iter()
            .flatten()
            .collect();
        if sides.is_empty() {
            own
        } else {
            own - margin * sides.iter().sum::<f64>() / sides.len() as f64
        }
    }
}

/// The sentences of a block as one text, as a translator would have written them.
fn join(sentences: &[String], block: &Range<usize>, lang: Lang) -> String {
    let glue = if lang == Lang::Zh { "" } else { " " };
    sentences[block.clone()].join(glue)
}

/// Every single sentence of each side, plus the blocks of 2..=`span` sentences that a
/// bead inside `window` can use.
fn blocks(
    window: &Window,
    max_bead: usize,
    span: usize,
    n: usize,
    m: usize,
) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let mut src_used = vec![false; n * span];
    let mut tgt_used = vec![false; m * span];
    src_used[..n].fill(true);
    tgt_used[..m].fill(true);
    let pairing: Vec<(usize, usize)> = shapes(max_bead)
        .into_iter()
        .filter(|&(a, b)| a > 0 && b > 0 && (a > 1 || b > 1))
        .collect();
    for i in 1..window.rows() {
        for j in window.columns(i) {
            for &(a, b) in &pairing {
                if a > i || b > j || !window.columns(i - a).contains(&(j - b)) {
                    continue;
                }
                if a <= span {
                    src_used[(a - 1) * n + i - a] = true;
                }
                if b <= span {
                    tgt_used[(b - 1) * m + j - b] = true;
                }
            }
        }
    }
    let ranges = |used: &[bool], len: usize| -> Vec<Range<usize>> {
        used.iter()
            .enumerate()
            .filter(|(_, &u)| u)
            .map(|(k, _)| {
                let (size, start) = (k / len + 1, k % len);
                start..start + size
            })
            .collect()
    };
    (ranges(&src_used, n), ranges(&tgt_used, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors spelled out per text: a stand-in model.
    struct Table(Vec<(&'static str, [f32; 2])>);

    impl SentenceEmbedder for Table {
        fn dim(&self) -> usize {
            2
        }
        fn fingerprint(&self) -> String {
            "table".into()
        }
        fn embed(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
            texts
                .iter()
                .map(|t| {
                    self.0
                        .iter()
                        .find(|(k, _)| k == t)
                        .map(|(_, v)| v.to_vec())
                        .ok_or_else(|| anyhow::anyhow!("unexpected text {t:?}"))
                })
                .collect()
        }
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn merged_beads_use_the_vector_of_the_concatenation() {
        let zh = lines(&["甲。", "乙。"]);
        let en = lines(&["A and B."]);
        let table = Table(vec![
            ("甲。", [1.0, 0.0]),
            ("乙。", [0.0, 1.0]),
            ("甲。乙。", [0.6, 0.8]),
            ("A and B.", [0.6, 0.8]),
        ]);
        let window = Window::band(&[2, 2], &[8], 2);
        let mut term = EmbeddingTerm::new((&zh, Lang::Zh), (&en, Lang::En), 2, &table).unwrap();
        let flags = [true; 2];
        let embedded = term
            .embed_blocks(
                (&zh, Lang::Zh),
                (&en, Lang::En),
                &window,
                3,
                (&flags, &flags[..1]),
                &table,
            )
            .unwrap();
        assert_eq!(embedded, 1);
        assert!((term.cosine(0..2, 0..1) - 1.0).abs() < 1e-6);
        assert!((term.cosine(0..1, 0..1) - 0.6).abs() < 1e-6);
    }

    #[test]
    fn only_blocks_of_uncertain_sentences_get_their_own_vector() {
        let zh = lines(&["甲。", "乙。", "丙。"]);
        let en = lines(&["A and B.", "C."]);
        // "乙。丙。" is not in the table: asking for it would fail.
        let table = Table(vec![
            ("甲。", [1.0, 0.0]),
            ("乙。", [0.0, 1.0]),
            ("丙。", [1.0, 0.0]),
            ("甲。乙。", [0.6, 0.8]),
            ("A and B.", [0.6, 0.8]),
            ("C.", [0.0, 1.0]),
        ]);
        let window = Window::band(&[2, 2, 2], &[8, 2], 3);
        let mut term = EmbeddingTerm::new((&zh, Lang::Zh), (&en, Lang::En), 2, &table).unwrap();
        let embedded = term
            .embed_blocks(
                (&zh, Lang::Zh),
                (&en, Lang::En),
                &window,
                3,
                (&[true, true, false], &[true, false]),
                &table,
            )
            .unwrap();
        assert_eq!(embedded, 1);
        assert!((term.cosine(0..2, 0..1) - 1.0).abs() < 1e-6);
        // Outside the uncertain sentences a block still adds its sentences' vectors.
        assert!((term.cosine(1..3, 1..2) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }

    #[test]
    fn blocks_longer_than_the_span_add_their_sentences_vectors() {
        let zh = lines(&["甲。", "乙。"]);
        let en = lines(&["A and B."]);
        // With span 1 the concatenation is never asked for (the table would refuse it).
        let table = Table(vec![
            ("甲。", [1.0, 0.0]),
            ("乙。", [0.0, 1.0]),
            ("A and B.", [0.6, 0.8]),
        ]);
        let term = EmbeddingTerm::new((&zh, Lang::Zh), (&en, Lang::En), 1, &table).unwrap();
        let expected = (0.6 + 0.8) / 2f64.sqrt();
        assert!((term.cosine(0..2, 0..1) - expected).abs() < 1e-6);
    }

    #[test]
    fn the_margin_discounts_a_sentence_that_resembles_its_neighbours() {
        // Source 1 matches target 1 exactly, but target 1 also resembles source 0 and 2.
        let zh = lines(&["一。", "二。", "三。"]);
        let en = lines(&["One.", "Two.", "Three."]);
        let table = Table(vec![
            ("一。", [1.0, 0.0]),
            ("二。", [0.6, 0.8]),
            ("三。", [1.0, 0.0]),
            ("One.", [1.0, 0.0]),
            ("Two.", [0.6, 0.8]),
            ("Three.", [1.0, 0.0]),
        ]);
        let term = EmbeddingTerm::new((&zh, Lang::Zh), (&en, Lang::En), 1, &table).unwrap();
        assert!((term.score(1..2, 1..2, 0.0) - 1.0).abs() < 1e-6);
        // Neighbours of each side score 0.6 against the other side's vector.
        assert!((term.score(1..2, 1..2, 1.0) - 0.4).abs() < 1e-6);
        // At the start only the following neighbour exists: cos(一, Two) = cos(One, 二) = 0.6.
        assert!((term.score(0..1, 0..1, 1.0) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn only_blocks_inside_the_window_are_embedded() {
        // A 1-wide band over 6 x 6 sentences: no bead pairs sentence 0 with sentence 5.
        let window = Window::band(&[1; 6], &[1; 6], 1);
        let (src, tgt) = blocks(&window, 5, 4, 6, 6);
        assert_eq!(src.iter().filter(|b| b.len() == 1).count(), 6);
        assert!(src.iter().all(|b| b.len() <= 4) && tgt.iter().all(|b| b.len() <= 4));
        let everything = 6 + 5 + 4 + 3;
        assert!(src.len() < everything, "{} blocks", src.len());
    }
}
