//! Model-free anchors: tokens that survive translation unchanged. Numbers, Latin-script
//! names and acronyms inside Chinese text, question marks and quotations.

use crate::text::detect::is_han;
use crate::text::Lang;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

/// Anchor tokens of every sentence on both sides, as ids shared by both.
#[derive(Debug)]
pub struct Anchors {
    src: Vec<Vec<u32>>,
    tgt: Vec<Vec<u32>>,
}

const QUESTION: &str = "?";
const QUOTE: &str = "\"";

/// The anchor tokens of a run of sentences, sorted. Single sentences (most beads) are
/// borrowed; runs are gathered.
fn gather(side: &[Vec<u32>], r: Range<usize>) -> Cow<'_, [u32]> {
    if r.len() == 1 {
        return Cow::Borrowed(&side[r.start]);
    }
    let mut v: Vec<u32> = side[r].iter().flatten().copied().collect();
    v.sort_unstable();
    Cow::Owned(v)
}

/// Numbers with thousands separators removed and full-width digits folded.
fn numbers(text: &str, out: &mut Vec<String>) {
    out.extend(crate::text::numbers::numbers(text).map(|n| n.normalized()));
}

/// Lowercased runs of two or more ASCII letters.
fn latin_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(str::to_ascii_lowercase)
}

fn marks(text: &str, out: &mut Vec<String>) {
    if text.contains(['?', '？']) {
        out.push(QUESTION.into());
    }
    if text.contains(['"', '“', '”', '「', '」', '『', '』']) {
        out.push(QUOTE.into());
    }
}

impl Anchors {
    /// Extracts anchors from both sides. Latin words count only when one side is
    /// Chinese: there they are names or acronyms, and the English side keeps just the
    /// words the Chinese side contains somewhere.
    pub fn new(src: &[String], src_lang: Lang, tgt: &[String], tgt_lang: Lang) -> Self {
        let han_latin = |texts: &[String]| -> std::collections::HashSet<String> {
            texts
                .iter()
                .filter(|t| t.chars().any(is_han))
                .flat_map(|t| latin_words(t))
                .collect()
        };
        let latin_vocab = match (src_lang, tgt_lang) {
            (Lang::Zh, Lang::En) => Some(han_latin(src)),
            (Lang::En, Lang::Zh) => Some(han_latin(tgt)),
            _ => None,
        };
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut side = |texts: &[String]| -> Vec<Vec<u32>> {
            texts
                .iter()
                .map(|t| {
                    let mut toks = Vec::new();
                    numbers(t, &mut toks);
                    marks(t, &mut toks);
                    if let Some(vocab) = &latin_vocab {
                        toks.extend(latin_words(t).filter(|w| vocab.contains(w)));
                    }
                    let mut v: Vec<u32> = toks
                        .into_iter()
                        .map(|tok| {
                            let next = ids.len() as u32;
                            *ids.entry(tok).or_insert(next)
                        })
                        .collect();
                    v.sort_unstable();
                    v
                })
                .collect()
        };
        let src = side(src);
        let tgt = side(tgt);
        Anchors { src, tgt }
    }

    /// Agreement of the anchor tokens of two sentence ranges, from −1 (all differ) to 1
    /// (the same multiset); 0 when neither side has any.
    pub fn agreement(&self, src: Range<usize>, tgt: Range<usize>) -> f32 {
        let (a, b) = (gather(&self.src, src), gather(&self.tgt, tgt));
        if a.is_empty() && b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut common) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        4.0 * common as f32 / (a.len() + b.len()) as f32 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbers_are_normalised() {
        let mut out = Vec::new();
        numbers("GDP grew 2.5% to 1,000 yuan in ２０２１, up from 3.", &mut out);
        assert_eq!(out, vec!["2.5", "1000", "2021", "3"]);
    }

    #[test]
    fn names_numbers_and_questions_agree_across_languages() {
        let zh = lines(&["苹果公司(Apple)在2021年卖了多少部iPhone？", "他说：“好的。”"]);
        let en = lines(&[
            "How many iPhones did Apple sell in 2021?",
            "\"Fine,\" he said.",
            "It rained all day.",
        ]);
        let a = Anchors::new(&zh, Lang::Zh, &en, Lang::En);
        // apple, 2021 and ? agree; "iphones" is not the Chinese side's "iphone".
        assert!(a.agreement(0..1, 0..1) > 0.4);
        assert_eq!(a.agreement(1..2, 1..2), 1.0);
        assert_eq!(a.agreement(0..1, 1..2), -1.0);
        // No anchors on either side is no evidence either way.
        assert_eq!(a.agreement(1..1, 2..3), 0.0);
    }

    #[test]
    fn english_words_are_not_anchors_between_two_english_texts() {
        let a = Anchors::new(
            &lines(&["Hello world"]),
            Lang::En,
            &lines(&["Hello there"]),
            Lang::En,
        );
        assert_eq!(a.agreement(0..1, 0..1), 0.0);
    }
}
