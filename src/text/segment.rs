//! Sentence segmentation for English and Chinese.

use super::Lang;

/// Splits `text` into sentences. Placeholder: splits after terminal punctuation.
pub fn split_sentences(text: &str, _lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            let s = cur.trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
            cur.clear();
        }
    }
    let s = cur.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    out
}
