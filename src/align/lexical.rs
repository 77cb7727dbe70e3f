//! Lexical similarity: TF-IDF cosine between two texts in the same language (usually
//! the machine translation of the source side against the target side).
//!
//! A merged bead is compared on the concatenation of its sentences. Term counts of a
//! concatenation are the sums of its sentences' counts, so its cosine follows from
//! sentence-by-sentence dot products: each bead costs a handful of lookups.

use super::window::Banded;
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;

/// A family of features extracted from a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Features {
    /// Character n-grams of lowercased text with whitespace collapsed, `min..=max`.
    CharNgrams {
        /// Shortest n-gram.
        min: usize,
        /// Longest n-gram.
        max: usize,
    },
    /// Words without English stopwords, cut to their first `len` letters (a cheap
    /// stemmer); every Han character counts as a word.
    WordPrefixes {
        /// Letters kept of each word.
        len: usize,
    },
}

/// The feature sets the dev-set tuning chose; the similarity is their mean cosine.
pub const DEFAULT_FEATURES: &[Features] = &[
    Features::CharNgrams { min: 3, max: 5 },
    Features::WordPrefixes { len: 5 },
    Features::CharNgrams { min: 2, max: 4 },
];

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "he", "she",
    "they", "we", "you", "i", "his", "her", "their", "our", "my", "me", "him", "them", "us", "not", "no",
    "so", "if", "do", "did", "had", "has", "have", "will", "would", "there",
];

impl Features {
    fn extract(self, text: &str, out: &mut Vec<String>) {
        match self {
            Features::CharNgrams { min, max } => {
                let chars: Vec<char> = text
                    .split_whitespace()
                    .flat_map(|w| w.chars().flat_map(char::to_lowercase).chain([' ']))
                    .collect();
                let chars = &chars[..chars.len().saturating_sub(1)];
                for n in min..=max {
                    out.extend(chars.windows(n).map(|w| w.iter().collect::<String>()));
                }
            }
            Features::WordPrefixes { len } => {
                for word in text.split(|c: char| !c.is_alphanumeric()) {
                    if word.chars().any(crate::text::detect::is_han) {
                        out.extend(word.chars().map(String::from));
                        continue;
                    }
                    let word = word.to_lowercase();
                    if !word.is_empty() && !STOPWORDS.contains(&word.as_str()) {
                        out.push(word.chars().take(len).collect());
                    }
                }
            }
        }
    }
}

/// A sparse TF-IDF vector, sorted by feature id.
#[derive(Debug, Clone, Default)]
struct Sparse(Vec<(u32, f32)>);

impl Sparse {
    fn dot(&self, other: &Sparse) -> f32 {
        sum_shared(&self.0, &other.0, |x, y| x * y)
    }
}

/// TF-IDF vectors of both sides for one feature set, IDF from the sentences of both.
fn vectorise(features: Features, src: &[String], tgt: &[String]) -> (Vec<Sparse>, Vec<Sparse>) {
    let mut vocab: HashMap<String, u32> = HashMap::new();
    let mut df: Vec<u32> = Vec::new();
    let mut counts = |text: &String| -> HashMap<u32, f32> {
        let mut grams = Vec::new();
        features.extract(text, &mut grams);
        let mut tf: HashMap<u32, f32> = HashMap::new();
        for g in grams {
            let next = vocab.len() as u32;
            let id = *vocab.entry(g).or_insert(next);
            if id as usize == df.len() {
                df.push(0);
            }
            *tf.entry(id).or_default() += 1.0;
        }
        for id in tf.keys() {
            df[*id as usize] += 1;
        }
        tf
    };
    let src_tf: Vec<_> = src.iter().map(&mut counts).collect();
    let tgt_tf: Vec<_> = tgt.iter().map(&mut counts).collect();
    let docs = (src.len() + tgt.len()) as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&d| ((docs + 1.0) / (d as f32 + 1.0)).ln() + 1.0)
        .collect();
    let weigh = |tf: Vec<HashMap<u32, f32>>| -> Vec<Sparse> {
        tf.into_iter()
            .map(|tf| {
                let mut v: Vec<(u32, f32)> =
                    tf.into_iter().map(|(id, c)| (id, c * idf[id as usize])).collect();
                v.sort_unstable_by_key(|&(id, _)| id);
                Sparse(v)
            })
            .collect()
    };
    (weigh(src_tf), weigh(tgt_tf))
}

/// Dot products of each sentence with its next `span - 1` neighbours on the same side:
/// what the norm of a concatenation needs.
fn neighbour_dots(vecs: &[Sparse], span: usize) -> Vec<Vec<f32>> {
    (0..vecs.len())
        .map(|s| {
            (0..span)
                .map(|k| vecs.get(s + k).map_or(0.0, |v| vecs[s].dot(v)))
                .collect()
        })
        .collect()
}

/// One feature set's vectors and the dot products the bead search needs.
#[derive(Debug)]
struct Table {
    src_self: Vec<Vec<f32>>,
    tgt_self: Vec<Vec<f32>>,
    /// Dot products within reach, computed ahead; others are computed when asked for.
    cross: Banded<f32>,
    src: Vec<Sparse>,
    tgt: Vec<Sparse>,
}

/// Cosines of concatenated sentence ranges: those a search window can form are computed
/// ahead, any other when asked for (a moved passage may lie anywhere).
#[derive(Debug)]
pub struct Lexical {
    tables: Vec<Table>,
}

impl Lexical {
    /// Prepares the similarity of `src[s]` and `tgt[t]` (two texts in the same language)
    /// for every target range `reach[s]` and concatenations of up to `span` sentences
    /// (longer or farther ones cost a dot product per sentence pair when asked for).
    pub fn new(
        src: &[String],
        tgt: &[String],
        features: &[Features],
        reach: &[Range<usize>],
        span: usize,
    ) -> Self {
        let tables = features
            .iter()
            .map(|&f| {
                let (sv, tv) = vectorise(f, src, tgt);
                let mut cross = Banded::new(reach, 0.0f32);
                cross.rows_mut().into_par_iter().for_each(|(s, first, row)| {
                    for (k, cell) in row.iter_mut().enumerate() {
                        *cell = sv[s].dot(&tv[first + k]);
                    }
                });
                Table {
                    src_self: neighbour_dots(&sv, span),
                    tgt_self: neighbour_dots(&tv, span),
                    cross,
                    src: sv,
                    tgt: tv,
                }
            })
            .collect();
        Lexical { tables }
    }

    /// Mean over feature sets of the cosine between the concatenation of `src` and the
    /// concatenation of `tgt`; 0 when either is empty or has no features.
    pub fn cosine(&self, src: Range<usize>, tgt: Range<usize>) -> f32 {
        let sum: f32 = self
            .tables
            .iter()
            .map(|t| {
                let mut dot = 0.0;
                for s in src.clone() {
                    for u in tgt.clone() {
                        dot += t
                            .cross
                            .get(s, u)
                            .copied()
                            .unwrap_or_else(|| t.src[s].dot(&t.tgt[u]));
                    }
                }
                let norm = range_norm(&t.src_self, &src) * range_norm(&t.tgt_self, &tgt);
                if norm > 0.0 {
                    dot / norm
                } else {
                    0.0
                }
            })
            .sum();
        sum / self.tables.len().max(1) as f32
    }
}

/// Weight of precision against recall in [`Overlap::fscore`] (chrF's β; below 1 favours
/// precision, so a translation that says more than the target is penalised less).
pub const OVERLAP_BETA: f32 = 0.5;

/// IDF-weighted character n-gram overlap F-score, chrF-like: unlike a cosine, it
/// looks at how much of each side the other covers. Computed per bead on the summed
/// counts of its sentences, so it suits narrow windows.
#[derive(Debug)]
pub struct Overlap {
    src: Blocks,
    tgt: Blocks,
}

/// The summed vectors of every run of up to `span` consecutive sentences, with their
/// total weights: `runs[start][len - 1]`.
#[derive(Debug)]
struct Blocks {
    runs: Vec<Vec<Run>>,
}

/// A summed sparse vector and its total weight.
type Run = (Vec<(u32, f32)>, f32);

impl Blocks {
    fn new(vecs: &[Sparse], span: usize) -> Self {
        let runs = (0..vecs.len())
            .into_par_iter()
            .map(|s| {
                (1..=span.min(vecs.len() - s))
                    .map(|len| {
                        let v = merged(&vecs[s..s + len]);
                        let total = v.iter().map(|x| x.1).sum();
                        (v, total)
                    })
                    .collect()
            })
            .collect();
        Blocks { runs }
    }

    fn get(&self, r: Range<usize>) -> Option<&Run> {
        self.runs.get(r.start)?.get(r.len().checked_sub(1)?)
    }
}

impl Overlap {
    /// Prepares the overlap of `src` and `tgt` (texts in the same language) on
    /// character 2-4-grams, for runs of up to `span` sentences.
    pub fn new(src: &[String], tgt: &[String], span: usize) -> Self {
        let (src, tgt) = vectorise(Features::CharNgrams { min: 2, max: 4 }, src, tgt);
        Overlap {
            src: Blocks::new(&src, span),
            tgt: Blocks::new(&tgt, span),
        }
    }

    /// Share of the IDF-weighted n-grams of `src` (`of_src`) or of `tgt` that the other
    /// side shares; 0 for empty or over-long ranges.
    pub fn coverage(&self, src: Range<usize>, tgt: Range<usize>, of_src: bool) -> f32 {
        let (Some((a, ta)), Some((b, tb))) = (self.src.get(src), self.tgt.get(tgt)) else {
            return 0.0;
        };
        let common = sum_shared(a, b, f32::min);
        common / if of_src { ta } else { tb }.max(1e-9)
    }

    /// F-score (β = [`OVERLAP_BETA`]) of the IDF-weighted n-grams the concatenation of
    /// `src` shares with that of `tgt`, precision measured on `src`; 0 for empty or
    /// over-long ranges.
    pub fn fscore(&self, src: Range<usize>, tgt: Range<usize>) -> f32 {
        let (Some((a, ta)), Some((b, tb))) = (self.src.get(src), self.tgt.get(tgt)) else {
            return 0.0;
        };
        let common = sum_shared(a, b, f32::min);
        let (p, r) = (common / ta.max(1e-9), common / tb.max(1e-9));
        let b2 = OVERLAP_BETA * OVERLAP_BETA;
        if p + r > 0.0 {
            (1.0 + b2) * p * r / (b2 * p + r)
        } else {
            0.0
        }
    }
}

/// The sum of `f(x, y)` over the ids two sparse vectors sorted by id share (a dot
/// product with `x * y`, the weight they share with `min`).
fn sum_shared(a: &[(u32, f32)], b: &[(u32, f32)], f: impl Fn(f32, f32) -> f32) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += f(a[i].1, b[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// The sum of sparse vectors, sorted by id.
fn merged(vecs: &[Sparse]) -> Vec<(u32, f32)> {
    let mut all: Vec<(u32, f32)> = vecs.iter().flat_map(|v| v.0.iter().copied()).collect();
    all.sort_unstable_by_key(|x| x.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(all.len());
    for (id, w) in all {
        match out.last_mut() {
            Some(last) if last.0 == id => last.1 += w,
            _ => out.push((id, w)),
        }
    }
    out
}

/// Euclidean norm of the sum of the vectors in `range`.
fn range_norm(self_dots: &[Vec<f32>], range: &Range<usize>) -> f32 {
    let mut sq = 0.0;
    for a in range.clone() {
        for b in a..range.end {
            let d = self_dots[a].get(b - a).copied().unwrap_or(0.0);
            sq += if a == b { d } else { 2.0 * d };
        }
    }
    sq.max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn full_reach(n: usize, m: usize) -> Vec<Range<usize>> {
        vec![0..m; n]
    }

    #[test]
    fn identical_sentences_have_cosine_one_and_unrelated_ones_near_zero() {
        let a = lines(&["The economy grew quickly.", "Rain fell on Tuesday."]);
        let lex = Lexical::new(&a, &a, DEFAULT_FEATURES, &full_reach(2, 2), 3);
        assert!((lex.cosine(0..1, 0..1) - 1.0).abs() < 1e-5);
        assert!(lex.cosine(0..1, 1..2) < 0.2);
    }

    #[test]
    fn a_merged_bead_matches_the_sentence_it_was_split_from() {
        let src = lines(&["Prices rose sharply in March, and exports fell by a third."]);
        let tgt = lines(&["Prices rose sharply in March.", "Exports fell by a third."]);
        let lex = Lexical::new(&src, &tgt, DEFAULT_FEATURES, &full_reach(1, 2), 3);
        let merged = lex.cosine(0..1, 0..2);
        assert!(merged > lex.cosine(0..1, 0..1));
        assert!(merged > lex.cosine(0..1, 1..2));
        assert!(merged > 0.8, "{merged}");
    }

    #[test]
    fn concatenation_cosine_equals_cosine_of_the_summed_counts() {
        // Word features only: counts of a concatenation are exactly the sums.
        let f = [Features::WordPrefixes { len: 5 }];
        let src = lines(&["apple banana", "cherry apple"]);
        let tgt = lines(&["banana cherry cherry"]);
        let lex = Lexical::new(&src, &tgt, &f, &full_reach(2, 1), 2);
        // idf = ln(4/3)+1 for every word (each occurs in 2 of 3 sentences); it cancels.
        // src sum = {apple 2, banana 1, cherry 1}, tgt = {banana 1, cherry 2}.
        let want = (1.0 + 2.0) / ((4.0f32 + 1.0 + 1.0).sqrt() * (1.0f32 + 4.0).sqrt());
        assert!((lex.cosine(0..2, 0..1) - want).abs() < 1e-5);
    }

    #[test]
    fn overlap_fscore_weighs_precision_above_recall() {
        let src = lines(&["ab", "abcd"]);
        let tgt = lines(&["abcd", "ab"]);
        let o = Overlap::new(&src, &tgt, 2);
        assert!((o.fscore(1..2, 0..1) - 1.0).abs() < 1e-6);
        // n-grams: "ab" occurs in all 4 sentences (idf = ln(5/5) + 1 = 1); bc, cd, abc,
        // bcd, abcd in 2 (idf = ln(5/3) + 1). "ab" against "abcd": P = 1, R = 1/(1 + 5·idf).
        let idf = (5.0f32 / 3.0).ln() + 1.0;
        let r = 1.0 / (1.0 + 5.0 * idf);
        let f = |p: f32, r: f32| 1.25 * p * r / (0.25 * p + r);
        assert!((o.fscore(0..1, 0..1) - f(1.0, r)).abs() < 1e-5);
        assert!((o.fscore(1..2, 1..2) - f(r, 1.0)).abs() < 1e-5);
        assert!(o.fscore(0..1, 0..1) > 2.0 * o.fscore(1..2, 1..2));
        // The concatenation "ab abcd" covers "abcd" and "ab" entirely.
        assert!((o.fscore(0..2, 0..2) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn han_characters_are_words_and_stopwords_are_dropped() {
        let mut out = Vec::new();
        Features::WordPrefixes { len: 5 }.extract("The 经济 Economically", &mut out);
        assert_eq!(out, vec!["经", "济", "econo"]);
        out.clear();
        Features::CharNgrams { min: 2, max: 2 }.extract("Ab  c", &mut out);
        assert_eq!(out, vec!["ab", "b ", " c"]);
    }
}
