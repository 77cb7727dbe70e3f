//! Language detection by script statistics.

use super::Lang;

/// Counts of the letters that decide between English and Chinese.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScriptCounts {
    /// Han ideographs (CJK Unified Ideographs and their extensions).
    pub han: usize,
    /// Latin letters.
    pub latin: usize,
}

/// True for a Han ideograph.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF
        | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// The lowercase English-looking words of `text`: maximal runs of ASCII letters, all
/// lowercase, of at least three letters ("zones"; "year-on-year" holds "year" twice). In
/// Chinese text these are words left untranslated; names, acronyms and short units
/// ("Xia", "GDP", "km") are not among them.
pub fn lowercase_latin_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The number of runs of ASCII letters in `text` (words in Latin letters).
pub fn latin_words(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| !word.is_empty())
        .count()
}

/// True when `text` keeps a lowercase English word ([`lowercase_latin_words`]): the
/// code-mixing measure of a Chinese translation.
pub fn is_code_mixed(text: &str) -> bool {
    lowercase_latin_words(text).next().is_some()
}

/// Counts Han and Latin letters in `text`.
pub fn script_counts(text: &str) -> ScriptCounts {
    let mut counts = ScriptCounts::default();
    for c in text.chars() {
        if is_han(c) {
            counts.han += 1;
        } else if c.is_alphabetic() && (c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c)) {
            counts.latin += 1;
        }
    }
    counts
}

/// Detects whether `text` is English or Chinese. One Han character carries about as
/// much text as four Latin letters, so Han counts are weighted by four. Returns
/// `None` when the text has neither script.
pub fn detect(text: &str) -> Option<Lang> {
    script_counts(text).lang()
}

/// [`detect`] over several texts taken together (the paragraphs of a document),
/// without joining them.
pub fn detect_all<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Lang> {
    let total = texts
        .into_iter()
        .map(script_counts)
        .fold(ScriptCounts::default(), |a, b| ScriptCounts {
            han: a.han + b.han,
            latin: a.latin + b.latin,
        });
    total.lang()
}

impl ScriptCounts {
    /// The language these counts point to, as in [`detect`].
    pub fn lang(self) -> Option<Lang> {
        let c = self;
        if c.han == 0 && c.latin == 0 {
            None
        } else if c.han * 4 >= c.latin {
            Some(Lang::Zh)
        } else {
            Some(Lang::En)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_language_and_mixed_text() {
        assert_eq!(detect("The economy grew 25.1% in March."), Some(Lang::En));
        assert_eq!(detect("经济在三月增长了25.1%。"), Some(Lang::Zh));
        assert_eq!(
            detect("苹果公司(Apple Inc.)发布了新的iPhone手机。"),
            Some(Lang::Zh)
        );
        assert_eq!(detect("2021-03-30 12:00"), None);
        assert_eq!(
            detect_all(["Beijing (北京)", "is the capital of China."]),
            Some(Lang::En)
        );
        assert_eq!(detect_all(["北京", "is"]), Some(Lang::Zh));
    }

    #[test]
    fn code_mixing_is_a_lowercase_word_of_three_letters() {
        assert!(is_code_mixed("关键 industries如大数据"));
        assert!(is_code_mixed("一年-on-year增长150%"));
        assert!(!is_code_mixed("夏海鸿说，GDP增长5km，iPhone销量上升。"));
        assert!(!is_code_mixed("增长了3 kg"));
        assert_eq!(
            lowercase_latin_words("Beijing的pilot free trade区").collect::<Vec<_>>(),
            ["pilot", "free", "trade"]
        );
    }
}
