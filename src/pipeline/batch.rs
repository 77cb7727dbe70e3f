//! Length-sorted batches under a token budget, shared by all the files of a chunk.

use crate::text::detect::is_han;

/// A rough subword count: one token per Han character and per four other
/// non-space characters, plus one for end-of-sentence. Only used to size batches
/// before the engine tokenizes, so it needs to be monotone, not exact.
pub fn estimate_tokens(sentence: &str) -> usize {
    let (han, other) = sentence
        .chars()
        .filter(|c| !c.is_whitespace())
        .fold(
            (0usize, 0usize),
            |(h, o), c| {
                if is_han(c) {
                    (h + 1, o)
                } else {
                    (h, o + 1)
                }
            },
        );
    han + other.div_ceil(4) + 1
}

/// Splits `sentences` into batches of similar length: sorted by estimated tokens
/// (then text, so the order is fully determined by the input), each batch holding at
/// most `max_sentences` and at most `max_tokens` padded tokens (longest × count).
/// A sentence longer than the budget gets a batch of its own. Returns indices into
/// `sentences`.
pub fn length_sorted_batches(
    sentences: &[String],
    max_sentences: usize,
    max_tokens: usize,
) -> Vec<Vec<usize>> {
    let mut order: Vec<(usize, usize)> = sentences.iter().map(|s| estimate_tokens(s)).enumerate().collect();
    order.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| sentences[a.0].cmp(&sentences[b.0])));
    let mut batches = Vec::new();
    let mut batch: Vec<usize> = Vec::new();
    for (index, tokens) in order {
        // Sorted ascending, so this sentence is the longest of the batch so far.
        let padded = tokens * (batch.len() + 1);
        if !batch.is_empty() && (batch.len() >= max_sentences.max(1) || padded > max_tokens) {
            batches.push(std::mem::take(&mut batch));
        }
        batch.push(index);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_grow_with_length_in_both_scripts() {
        assert_eq!(estimate_tokens("经济增长"), 5);
        assert_eq!(estimate_tokens("The economy"), 1 + 3);
        assert!(estimate_tokens("a much longer English sentence") > estimate_tokens("short one"));
    }

    #[test]
    fn batches_are_sorted_bounded_and_cover_every_sentence_once() {
        let sentences: Vec<String> = [
            "ccccccccccccccccccccccccccccccc",
            "a",
            "bbbbbbbb",
            "a",
            "dddd",
            "经济",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let batches = length_sorted_batches(&sentences, 2, 100);
        let mut seen: Vec<usize> = batches.concat();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
        assert!(batches.iter().all(|b| b.len() <= 2));
        let lengths: Vec<usize> = batches
            .concat()
            .iter()
            .map(|&i| estimate_tokens(&sentences[i]))
            .collect();
        assert!(lengths.windows(2).all(|w| w[0] <= w[1]), "{lengths:?}");
        // A budget of 4 padded tokens: two 2-token sentences fit, a 9-token one stands alone.
        let tight = length_sorted_batches(&sentences, 10, 4);
        assert!(tight.iter().any(|b| b == &vec![0]));
        assert!(tight.iter().all(|b| b.len() == 1
            || b.iter().map(|&i| estimate_tokens(&sentences[i])).max().unwrap() * b.len() <= 4));
    }
}
