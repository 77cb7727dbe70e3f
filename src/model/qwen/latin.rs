//! Which Latin-script words an answer into Chinese may contain: the source's names,
//! acronyms, codes, units after numbers and URLs, never its ordinary English words.
//!
//! Small models copy English words into their Chinese ("关键 industries如大数据"). During
//! decoding, a token that would write Latin letters is only allowed where the answer's
//! current run of ASCII letters and digits stays a prefix of a word the source allows to
//! be kept, and a run may only end once it is a whole such word. A run of digits alone is
//! never restricted, nor is anything that is not an ASCII letter or digit (Han,
//! punctuation, spaces).

use std::collections::HashSet;

/// The words of one source sentence that a Chinese translation may keep in Latin script,
/// with all their prefixes (the trie, flattened).
#[derive(Debug, Clone, Default)]
pub struct KeptWords {
    words: HashSet<String>,
    prefixes: HashSet<String>,
}

/// Capitalised words that open English sentences without being names: at the start of a
/// sentence they are translated ("The", "Meanwhile"), elsewhere a capital marks a name.
const SENTENCE_OPENERS: &[&str] = &[
    "A",
    "About",
    "According",
    "After",
    "Against",
    "Also",
    "Although",
    "An",
    "And",
    "Another",
    "Any",
    "Are",
    "As",
    "At",
    "Because",
    "Before",
    "Being",
    "Both",
    "But",
    "By",
    "Can",
    "Despite",
    "During",
    "Each",
    "Earlier",
    "Even",
    "Every",
    "Few",
    "First",
    "For",
    "From",
    "Further",
    "Furthermore",
    "Given",
    "He",
    "Her",
    "Here",
    "His",
    "How",
    "However",
    "I",
    "If",
    "In",
    "Including",
    "Indeed",
    "Instead",
    "It",
    "Its",
    "Last",
    "Later",
    "Like",
    "Many",
    "Meanwhile",
    "More",
    "Moreover",
    "Most",
    "Much",
    "My",
    "Never",
    "Next",
    "No",
    "Not",
    "Now",
    "Of",
    "On",
    "Once",
    "One",
    "Only",
    "Or",
    "Other",
    "Our",
    "Over",
    "Overall",
    "Previously",
    "Recently",
    "Respondents",
    "Several",
    "She",
    "Since",
    "So",
    "Some",
    "Still",
    "Such",
    "Than",
    "That",
    "The",
    "Their",
    "Then",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "Though",
    "Through",
    "Thus",
    "To",
    "Today",
    "Under",
    "Unlike",
    "Until",
    "We",
    "What",
    "When",
    "Where",
    "Whether",
    "Which",
    "While",
    "Who",
    "Why",
    "With",
    "Within",
    "Without",
    "Yet",
    "You",
    "Your",
];

/// The longest lowercase word kept when it directly follows a number in the source: a
/// unit ("5km", "10 kg", "3 mph"), not an English word ("6.61 billion").
const MAX_UNIT_LEN: usize = 3;

impl KeptWords {
    /// The words of `source` that may stay in Latin script: those with a digit ("5G",
    /// "A380"), with a capital after the first letter ("GDP", "iPhone"), capitalised ones
    /// unless they open a sentence as a common word, short units after a number, and
    /// every word of a URL or e-mail address.
    pub fn from_source(source: &str) -> Self {
        let mut kept = KeptWords::default();
        for token in source.split_whitespace() {
            if is_address(token) {
                for word in alnum_runs(token) {
                    kept.insert(word);
                }
            }
        }
        let mut sentence_start = true;
        let mut after_number = false;
        let mut rest = source;
        while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
            let gap = &rest[..start];
            if gap.contains(['.', '!', '?', '\n', ':', ';', '"', '“', '(']) {
                sentence_start = true;
            }
            if !gap.is_empty() && !gap.chars().all(|c| c == ' ' || c == '.' || c == ',') {
                after_number = false;
            }
            let word_len = rest[start..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len() - start);
            let word = &rest[start..start + word_len];
            if word.chars().any(|c| c.is_ascii_alphabetic()) && keeps(word, sentence_start, after_number) {
                kept.insert(word);
            }
            after_number = word.chars().all(|c| c.is_ascii_digit());
            sentence_start = false;
            rest = &rest[start + word_len..];
        }
        kept
    }

    fn insert(&mut self, word: &str) {
        for end in 1..=word.len() {
            self.prefixes.insert(word[..end].to_string());
        }
        self.words.insert(word.to_string());
    }

    /// True when an answer whose output ends in the ASCII alphanumeric run `run` may go on
    /// with `token`: every run of letters and digits it closes is a kept word (or digits
    /// alone), and the run it leaves open is a prefix of one.
    pub fn allows(&self, run: &str, token: &str) -> bool {
        let mut current = run.to_string();
        for c in token.chars() {
            if c.is_ascii_alphanumeric() {
                current.push(c);
            } else if !current.is_empty() {
                if !self.closes(&current) {
                    return false;
                }
                current.clear();
            }
        }
        !has_letter(&current) || self.prefixes.contains(&current)
    }

    /// True when `word` is one of the kept words.
    pub fn keeps(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// True when the run `run` may end here.
    fn closes(&self, run: &str) -> bool {
        !has_letter(run) || self.keeps(run)
    }
}

/// Whether a word of the source may be kept, given whether it opens a sentence and
/// whether it directly follows a number.
fn keeps(word: &str, sentence_start: bool, after_number: bool) -> bool {
    let mut chars = word.chars();
    let first = chars.next().unwrap_or(' ');
    if word.chars().any(|c| c.is_ascii_digit()) || chars.any(|c| c.is_ascii_uppercase()) {
        return true;
    }
    if first.is_ascii_uppercase() {
        return !(sentence_start && SENTENCE_OPENERS.contains(&word));
    }
    after_number && word.len() <= MAX_UNIT_LEN
}

/// True for a whitespace-separated token that is a URL, a domain or an e-mail address.
fn is_address(token: &str) -> bool {
    let token = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    token.contains("://")
        || token.starts_with("www.")
        || (token.contains('@') && token.contains('.'))
        || [".com", ".org", ".net", ".cn", ".gov", ".edu", ".io"]
            .iter()
            .any(|tld| token.contains(tld) && !token.ends_with('.'))
}

/// The maximal runs of ASCII letters and digits in `text`.
fn alnum_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn has_letter(run: &str) -> bool {
    run.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The run of ASCII letters and digits that `text` ends with ("" when it ends otherwise).
pub fn trailing_run(text: &str) -> &str {
    let start = text
        .rfind(|c: char| !c.is_ascii_alphanumeric())
        .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(source: &str) -> Vec<String> {
        let mut words: Vec<String> = KeptWords::from_source(source).words.into_iter().collect();
        words.sort();
        words
    }

    #[test]
    fn names_acronyms_codes_and_units_are_kept_english_words_are_not() {
        assert_eq!(
            kept("The GDP of Beijing grew 5km, said Xia Haihong of the NDRC at 3 pm on the A380."),
            ["5km", "A380", "Beijing", "GDP", "Haihong", "NDRC", "Xia", "pm"]
        );
        assert_eq!(
            kept("Meanwhile, foreign capital rose 150% year-on-year in pilot free trade zones."),
            Vec::<String>::new()
        );
        // A capitalised sentence opener that is not a common word is a name.
        assert_eq!(
            kept("Liverpool beat Newcastle. But fans left."),
            ["Liverpool", "Newcastle"]
        );
        assert_eq!(kept("the contracts reached US$6.61 billion."), ["US"]);
        assert_eq!(
            kept("For details see www.xinhua.com or news@cctv.cn now."),
            ["cctv", "cn", "com", "news", "www", "xinhua"]
        );
    }

    #[test]
    fn tokens_continue_kept_words_only() {
        let kept = KeptWords::from_source("Xia Haihong said the GDP of pilot zones rose 3.5%.");
        // Han, digits and punctuation are never restricted.
        assert!(kept.allows("", "夏海"));
        assert!(kept.allows("", " 3"));
        assert!(kept.allows("", "，"));
        // A name split over several tokens.
        assert!(kept.allows("", " Xia"));
        assert!(kept.allows("", " Hai"));
        assert!(kept.allows("Hai", "hong"));
        assert!(kept.allows("Haihong", "说"));
        assert!(kept.allows("", "GDP增长"));
        // Ordinary English words of the source are blocked, whole or in pieces.
        assert!(!kept.allows("", " pilot"));
        assert!(!kept.allows("", "zones"));
        assert!(!kept.allows("", " the"));
        // A kept word may not grow into another word, nor stop half-way.
        assert!(!kept.allows("Xia", "o"));
        assert!(!kept.allows("Hai", "说"));
        assert!(!kept.allows("GDP", "s"));
        // Digits glued to letters form a word that must be kept as a whole.
        assert!(!kept.allows("3", "x"));
    }

    #[test]
    fn trailing_run_is_the_open_alphanumeric_word() {
        assert_eq!(trailing_run("夏海鸿 Hai"), "Hai");
        assert_eq!(trailing_run("增长3"), "3");
        assert_eq!(trailing_run("增长。"), "");
        assert_eq!(trailing_run("GDP"), "GDP");
    }
}
