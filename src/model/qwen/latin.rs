//! Which Latin-script words an answer into Chinese may contain: the source's names,
//! acronyms, codes, units after numbers and URLs, never its ordinary English words.
//!
//! Small models copy English words into their Chinese ("关键 industries如大数据"). During
//! decoding, a token that would write Latin letters is only allowed where the answer's
//! current run of ASCII letters and digits stays a prefix of a word the source allows to
//! be kept, and a run may only end once it is a whole such word. A run of digits alone is
//! never restricted, nor is anything that is not an ASCII letter or digit (Han,
//! punctuation, spaces).
//!
//! Names the model knows little it transliterates wrongly ("迪米特里·拉巴特" for Dominic
//! Raab), where news translations keep them in Latin: the tokens that would start such
//! a name get a bonus ([`copied_names`], [`NameTokens`]).

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

/// Titles before a name that a translation into Chinese translates (女士, 博士).
const HONORIFICS: &[&str] = &["Dr", "Lady", "Lord", "Miss", "Mr", "Mrs", "Ms", "Sir"];

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

/// The runs of consecutive words of `source` that `kept` keeps and that are written like
/// names ("Dominic Raab", "Xia Haihong"): a capital, then lowercase letters only.
fn name_runs<'a>(source: &'a str, kept: &KeptWords) -> Vec<Vec<&'a str>> {
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut open = false;
    for token in source.split_whitespace() {
        let word = token.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        if is_name(word) && kept.keeps(word) {
            match runs.last_mut() {
                Some(run) if open => run.push(word),
                _ => runs.push(vec![word]),
            }
            open = word.len() == token.len();
        } else {
            open = false;
        }
    }
    runs
}

/// The names of `source` that an answer should rather copy than transliterate, by the
/// vocabulary (`one_token` tells whether a text is a single token). In a run of
/// capitalised words, a name is a stretch of words that are not common English words (no
/// token spells them in lowercase, as " health" or " minister") with one that no single
/// token spells (" Raab", " Haihong"), which the model has seen too little to write in
/// Han. A name of one word that ends its run takes the common word before it as its
/// first name ("Paras Raykar", "John Woolf"), unless that is an honorific ("Ms Hyslop"
/// gives "Hyslop", with "Ms" translated).
pub fn copied_names<'a>(
    source: &'a str,
    kept: &KeptWords,
    one_token: impl Fn(&str) -> bool,
) -> Vec<Vec<&'a str>> {
    let mut names = Vec::new();
    for run in name_runs(source, kept) {
        let common: Vec<bool> = (run.iter())
            .map(|word| one_token(&format!(" {}", word.to_lowercase())))
            .collect();
        let mut start = 0;
        while start < run.len() {
            let end = (start..run.len()).find(|&i| common[i]).unwrap_or(run.len());
            if run[start..end].iter().any(|word| !one_token(&format!(" {word}"))) {
                let surname = start > 0 && start + 1 == run.len();
                let first_name = usize::from(surname && !HONORIFICS.contains(&run[start - 1]));
                names.push(run[start - first_name..end].to_vec());
            }
            start = end + 1;
        }
    }
    names
}

/// The tokens that start writing a name an answer into Chinese is pushed to copy.
#[derive(Debug, Default)]
pub struct NameTokens {
    /// Those that start the first word of a name.
    first: Vec<u32>,
    /// Those that start a later word, with the space before it.
    next: Vec<u32>,
    /// The names' words.
    words: Vec<String>,
}

impl NameTokens {
    /// The tokens of a vocabulary (`token_texts`, by id) that start a word of `names`: two
    /// letters or more of its beginning.
    pub fn new(names: &[Vec<&str>], token_texts: &[String]) -> Self {
        let mut tokens = NameTokens::default();
        if names.is_empty() {
            return tokens;
        }
        for (t, text) in token_texts.iter().enumerate() {
            let (spaced, word) = match text.strip_prefix(' ') {
                Some(word) => (true, word),
                None => (false, text.as_str()),
            };
            if word.len() < 2 || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
                continue;
            }
            if names.iter().any(|name| name[0].starts_with(word)) {
                tokens.first.push(t as u32);
            }
            if spaced
                && names
                    .iter()
                    .any(|name| name[1..].iter().any(|w| w.starts_with(word)))
            {
                tokens.next.push(t as u32);
            }
        }
        tokens.words = names
            .iter()
            .flat_map(|name| name.iter().map(|w| w.to_string()))
            .collect();
        tokens
    }

    /// True when the Latin run `run` an answer ends with is the start of a word of a name.
    pub fn within(&self, run: &str) -> bool {
        !run.is_empty() && self.words.iter().any(|w| w.starts_with(run))
    }

    /// The tokens pushed after an answer that ends in the Latin run `run`: a name's first
    /// word outside a word, its next word after a copied word of a name, none inside a
    /// word. A name whose first word the answer wrote in Han goes on in Han.
    pub fn after(&self, run: &str) -> &[u32] {
        if run.is_empty() {
            &self.first
        } else if self.words.iter().any(|w| w == run) {
            &self.next
        } else {
            &[]
        }
    }
}

/// True for a word written like a name: a capital, then lowercase letters only.
fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && word.len() >= 2
        && chars.all(|c| c.is_ascii_lowercase())
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
    fn names_are_runs_of_capitalised_kept_words() {
        let source = "Shadow Health Secretary Jonathan Ashworth told Sky, and Raab said: Paras Raykar left.";
        let kept = KeptWords::from_source(source);
        assert_eq!(
            name_runs(source, &kept),
            [
                vec!["Shadow", "Health", "Secretary", "Jonathan", "Ashworth"],
                vec!["Sky"],
                vec!["Raab"],
                vec!["Paras", "Raykar"],
            ]
        );
    }

    /// A vocabulary's single tokens, by text, for [`copied_names`].
    fn vocabulary<'a>(texts: &'a [&'a str]) -> impl Fn(&str) -> bool + 'a {
        move |text| texts.contains(&text)
    }

    #[test]
    fn names_the_vocabulary_hardly_knows_are_copied_titles_and_known_names_are_not() {
        let one_token = vocabulary(&[
            " shadow",
            " health",
            " secretary",
            " Jonathan",
            " sky",
            " Sky",
            " paras",
            " Paras",
            " john",
            " John",
            " ms",
            " Ms",
            " Spain",
            " Saturday",
        ]);
        let source = "Shadow Health Secretary Jonathan Ashworth told Sky that John Woolf and Raab \
                      met Paras Raykar and Ms Hyslop in Spain on Saturday.";
        let kept = KeptWords::from_source(source);
        assert_eq!(
            copied_names(source, &kept, one_token),
            [
                vec!["Jonathan", "Ashworth"],
                vec!["John", "Woolf"],
                vec!["Raab"],
                vec!["Paras", "Raykar"],
                vec!["Hyslop"],
            ]
        );
    }

    #[test]
    fn name_tokens_start_names_and_continue_copied_ones() {
        let texts: Vec<String> = [
            " Jon",
            "Jonathan",
            " Ash",
            "worth",
            " Ashworth",
            "J",
            " the",
            "拉",
            "Ra",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let tokens = NameTokens::new(&[vec!["Jonathan", "Ashworth"]], &texts);
        // The first word starts a name, with or without its space; one letter is too little.
        assert_eq!(tokens.after(""), [0, 1]);
        // After a copied first word, its next word goes on, with its space.
        assert_eq!(tokens.after("Jonathan"), [2, 4]);
        // Inside a word, or after another word, nothing is pushed.
        assert!(tokens.after("Jon").is_empty());
        assert!(tokens.after("GDP").is_empty());
        assert!(NameTokens::new(&[], &texts).after("").is_empty());
        assert!(tokens.within("Ashw") && tokens.within("Jonathan"));
        assert!(!tokens.within("") && !tokens.within("GDP") && !tokens.within("Ashworths"));
    }

    #[test]
    fn trailing_run_is_the_open_alphanumeric_word() {
        assert_eq!(trailing_run("夏海鸿 Hai"), "Hai");
        assert_eq!(trailing_run("增长3"), "3");
        assert_eq!(trailing_run("增长。"), "");
        assert_eq!(trailing_run("GDP"), "GDP");
    }
}
