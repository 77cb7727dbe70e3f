//! BLEU tokenizers, each identical to its sacreBLEU 2.6.0 namesake (`sacrebleu/tokenizers/`).

use super::pystr;
use regex::Regex;
use std::sync::LazyLock;

/// How BLEU splits a line into tokens before counting n-grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Tokenizer {
    /// mteval-v13a, the WMT standard: splits punctuation except in numbers.
    #[value(name = "13a")]
    Mteval13a,
    /// Every Chinese character (and CJK punctuation, full-width form) a token, 13a elsewhere.
    Zh,
    /// mteval-v14 international: splits Unicode punctuation and symbols.
    Intl,
    /// Every character a token.
    Char,
    /// Whitespace only; the input is already tokenized.
    None,
}

impl Tokenizer {
    /// The name in sacreBLEU's signature (`tok:13a`).
    pub fn signature(self) -> &'static str {
        match self {
            Tokenizer::Mteval13a => "13a",
            Tokenizer::Zh => "zh",
            Tokenizer::Intl => "intl",
            Tokenizer::Char => "char",
            Tokenizer::None => "none",
        }
    }

    /// sacreBLEU's default for a target language: `zh` for Chinese, `13a` otherwise.
    pub fn default_for(target_lang: &str) -> Self {
        if target_lang == "zh" {
            Tokenizer::Zh
        } else {
            Tokenizer::Mteval13a
        }
    }

    /// Tokenizes one line; tokens are separated by single spaces.
    pub fn tokenize(self, line: &str) -> String {
        match self {
            Tokenizer::Mteval13a => tokenize_13a(line),
            Tokenizer::Zh => tokenize_zh(line),
            Tokenizer::Intl => tokenize_intl(line),
            Tokenizer::Char => {
                let mut out = String::with_capacity(line.len() * 2);
                for (i, c) in line.chars().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push(c);
                }
                out
            }
            Tokenizer::None => line.to_string(),
        }
    }
}

/// Compiles a pattern written in this file.
fn pattern(re: &str) -> Regex {
    Regex::new(re).unwrap_or_else(|e| panic!("bad built-in pattern {re}: {e}"))
}

/// The language-dependent part shared by `13a` and `zh` (sacreBLEU's `TokenizerRegexp`).
static MTEVAL_RULES: LazyLock<[(Regex, &str); 4]> = LazyLock::new(|| {
    [
        // ASCII punctuation except the apostrophe, period, comma and hyphen.
        (pattern(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), " ${1} "),
        // Period and comma unless preceded by a digit...
        (pattern(r"([^0-9])([\.,])"), "${1} ${2} "),
        // ...or followed by one.
        (pattern(r"([\.,])([^0-9])"), " ${1} ${2}"),
        // Hyphen after a digit.
        (pattern(r"([0-9])(-)"), "${1} ${2} "),
    ]
});

static INTL_RULES: LazyLock<[(Regex, &str); 3]> = LazyLock::new(|| {
    [
        // Punctuation preceded by a non-digit...
        (pattern(r"(\P{N})(\p{P})"), "${1} ${2} "),
        // ...or followed by one.
        (pattern(r"(\p{P})(\P{N})"), " ${1} ${2}"),
        // Every symbol.
        (pattern(r"(\p{S})"), " ${1} "),
    ]
});

fn apply_rules(line: &str, rules: &[(Regex, &str)]) -> String {
    let mut line = line.to_string();
    for (re, replacement) in rules {
        if let std::borrow::Cow::Owned(replaced) = re.replace_all(&line, *replacement) {
            line = replaced;
        }
    }
    pystr::squeeze_spaces(&line)
}

fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    apply_rules(&format!(" {line} "), &*MTEVAL_RULES)
}

fn tokenize_zh(line: &str) -> String {
    let line = pystr::strip(line);
    let mut spaced = String::with_capacity(line.len() * 2);
    for c in line.chars() {
        if is_chinese_char(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    apply_rules(&spaced, &*MTEVAL_RULES)
}

fn tokenize_intl(line: &str) -> String {
    apply_rules(line, &*INTL_RULES)
}

/// The characters sacreBLEU's `zh` tokenizer splits off, as its `_UCODE_RANGES` test them.
///
/// sacreBLEU writes two astral ranges as `'\u20000'` and `'\u2f800'`, which Python reads as
/// U+2000 followed by `'0'`. Its `start <= char <= end` string comparison therefore admits
/// U+2001..=U+2A6D (general punctuation such as curly quotes and dashes, currency and maths
/// symbols, arrows, boxes...) and U+2F81..=U+2FA1, and no astral character at all. We
/// reproduce that, since the goal is sacreBLEU's scores.
const CHINESE_RANGES: [(char, char); 22] = [
    ('\u{3400}', '\u{4db5}'), // CJK Unified Ideographs Extension A
    ('\u{4e00}', '\u{9fa5}'), // CJK Unified Ideographs
    ('\u{9fa6}', '\u{9fbb}'), // CJK Unified Ideographs, Unicode 4.1
    ('\u{f900}', '\u{fa2d}'), // CJK Compatibility Ideographs
    ('\u{fa30}', '\u{fa6a}'), // CJK Compatibility Ideographs, Unicode 3.2
    ('\u{fa70}', '\u{fad9}'), // CJK Compatibility Ideographs, Unicode 4.1
    ('\u{2001}', '\u{2a6d}'), // meant as Extension B, see above
    ('\u{2f81}', '\u{2fa1}'), // meant as Compatibility Supplement, see above
    ('\u{ff00}', '\u{ffef}'), // full-width ASCII and punctuation, half-width kana
    ('\u{2e80}', '\u{2eff}'), // CJK Radicals Supplement
    ('\u{3000}', '\u{303f}'), // CJK punctuation
    ('\u{31c0}', '\u{31ef}'), // CJK strokes
    ('\u{2f00}', '\u{2fdf}'), // Kangxi Radicals
    ('\u{2ff0}', '\u{2fff}'), // ideographic description characters
    ('\u{3100}', '\u{312f}'), // Bopomofo
    ('\u{31a0}', '\u{31bf}'), // Bopomofo Extended
    ('\u{fe10}', '\u{fe1f}'), // vertical forms
    ('\u{fe30}', '\u{fe4f}'), // CJK compatibility forms
    ('\u{2600}', '\u{26ff}'), // miscellaneous symbols
    ('\u{2700}', '\u{27bf}'), // dingbats
    ('\u{3200}', '\u{32ff}'), // enclosed CJK letters and months
    ('\u{3300}', '\u{33ff}'), // CJK compatibility
];

/// Whether the `zh` tokenizer makes `c` a token of its own.
pub fn is_chinese_char(c: char) -> bool {
    CHINESE_RANGES
        .iter()
        .any(|&(start, end)| (start..=end).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings printed by sacreBLEU 2.6.0; the full set is in tests/eval_sacrebleu.rs.
    #[test]
    fn mteval_13a_keeps_numbers_and_splits_punctuation() {
        let tok = |s| Tokenizer::Mteval13a.tokenize(s);
        assert_eq!(
            tok("It costs $1,000.50, (approx.)!"),
            "It costs $ 1,000.50 , ( approx . ) !"
        );
        assert_eq!(tok("don't 1990-2000 e-mail"), "don't 1990 - 2000 e-mail");
        assert_eq!(tok("a &amp; b &lt;c&gt;"), "a & b < c >");
    }

    #[test]
    fn zh_splits_every_han_character() {
        assert_eq!(Tokenizer::Zh.tokenize("我爱北京。ok"), "我 爱 北 京 。 ok");
    }
}
