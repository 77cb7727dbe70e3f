//! Length-sorted batching and clause splitting: the work plan an engine follows for a
//! list of sentences.

/// Groups sentence indices into batches: longest first, so that sentences of similar
/// length share a batch (less padding), with at most `max_sentences` per batch and at
/// most `max_tokens` padded tokens (`count × longest`). A sentence longer than
/// `max_tokens` gets a batch of its own. Every index appears exactly once.
pub fn by_length(lengths: &[usize], max_sentences: usize, max_tokens: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        let longest = current.first().map_or(lengths[i], |&f| lengths[f]);
        let fits = current.len() < max_sentences.max(1) && (current.len() + 1) * longest <= max_tokens.max(1);
        if !current.is_empty() && !fits {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Punctuation after which a long sentence may be cut, strongest first.
const CLAUSE_ENDS: &[&[char]] = &[&['；', ';', '：', ':'], &['，', ',', '、', '—'], &[' ']];

/// Splits `text` into consecutive pieces for which `fits` holds, cutting at clause
/// punctuation (then spaces, then anywhere) as near the middle as possible. The pieces
/// concatenate back to `text` exactly: nothing is dropped.
pub fn split_to_fit(text: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    if fits(text) || text.chars().count() < 2 {
        return vec![text.to_string()];
    }
    let cut = cut_point(text);
    let (head, tail) = text.split_at(cut);
    let mut out = split_to_fit(head, fits);
    out.extend(split_to_fit(tail, fits));
    out
}

/// Byte offset to cut `text` at: just after the clause mark nearest the middle, or the
/// middle character boundary when there is none.
fn cut_point(text: &str) -> usize {
    let middle = text.len() / 2;
    for marks in CLAUSE_ENDS {
        let best = text
            .char_indices()
            .filter(|(_, c)| marks.contains(c))
            .map(|(i, c)| i + c.len_utf8())
            .filter(|&end| end < text.len())
            .min_by_key(|&end| end.abs_diff(middle));
        if let Some(end) = best {
            return end;
        }
    }
    text.char_indices()
        .map(|(i, _)| i)
        .filter(|&i| i > 0)
        .min_by_key(|&i| i.abs_diff(middle))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_group_similar_lengths_within_both_budgets() {
        let lengths = [5, 50, 6, 48, 7, 49];
        let batches = by_length(&lengths, 2, 1000);
        assert_eq!(batches, vec![vec![1, 5], vec![3, 4], vec![2, 0]]);
        // A fourth sentence would make 4 × 50 padded tokens > 150: the budget closes the batch.
        let batches = by_length(&lengths, 10, 150);
        assert_eq!(batches, vec![vec![1, 5, 3], vec![4, 2, 0]]);
    }

    #[test]
    fn an_oversized_sentence_still_gets_a_batch() {
        assert_eq!(by_length(&[500, 3], 8, 100), vec![vec![0], vec![1]]);
    }

    #[test]
    fn long_text_is_cut_after_clause_marks_and_nothing_is_lost() {
        let text = "第一部分很长，第二部分也很长；第三部分，第四部分。";
        let pieces = split_to_fit(text, &|s| s.chars().count() <= 8);
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| p.chars().count() <= 8), "{pieces:?}");
        assert_eq!(pieces[0], "第一部分很长，");
    }

    #[test]
    fn text_without_marks_is_cut_at_spaces_then_anywhere() {
        let pieces = split_to_fit("aaaa bbbb", &|s| s.len() <= 5);
        assert_eq!(pieces, vec!["aaaa ", "bbbb"]);
        let pieces = split_to_fit("abcdefgh", &|s| s.len() <= 3);
        assert_eq!(pieces.concat(), "abcdefgh");
        assert!(pieces.iter().all(|p| p.len() <= 3));
    }
}
