//! Sentence segmentation for English and Chinese.
//!
//! A boundary is considered after every run of terminal marks (`. ! ? …` and the
//! full-width `。！？`), together with the closing quotes and brackets that follow
//! it. Full-width marks end a sentence unless a short speech tag follows a closing
//! quote (`“……。”他说。`). Half-width marks must be followed by whitespace (or, in
//! Chinese, by a Han character), so `3.5%`, `U.S.-China` and `example.com` never
//! split; a period also has to survive the abbreviation, initial and list-number
//! checks. Sentences longer than [`MAX_SENTENCE_CHARS`] are cut into bounded chunks,
//! so a 50 MB line without punctuation is segmented in linear time.

use super::detect::is_han;
use super::{Document, Lang};

/// The longest sentence, in characters, that segmentation returns; longer runs of
/// text are cut at a clause mark or whitespace (or, failing both, at the limit).
pub const MAX_SENTENCE_CHARS: usize = 1000;

/// Splits `text` (one paragraph) into trimmed, non-empty sentences of at most
/// [`MAX_SENTENCE_CHARS`] characters each.
pub fn split_sentences(text: &str, lang: Lang) -> Vec<String> {
    split_counting_cuts(text, lang).0
}

/// [`split_sentences`], also counting the cuts made inside over-long sentences.
pub fn split_counting_cuts(text: &str, lang: Lang) -> (Vec<String>, usize) {
    let mut sentences = Vec::new();
    let mut cuts = 0;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_terminal(c) {
            continue;
        }
        // The whole run of terminal marks, then the closers that belong to it.
        let mut run_end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !is_terminal(d) {
                break;
            }
            run_end = j + d.len_utf8();
            chars.next();
        }
        let mut end = run_end;
        while let Some(&(j, d)) = chars.peek() {
            if !is_closer(d) {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        // Some texts set the closing quote apart: `a huge challenge. " Thirty`.
        let after_space = text[end..].trim_start();
        let quote_len: usize = after_space
            .chars()
            .take_while(|&c| matches!(c, '"' | '”' | '’' | '」' | '』'))
            .map(char::len_utf8)
            .sum();
        let after_quote = &after_space[quote_len..];
        if quote_len > 0
            && after_space.len() < text.len() - end
            && after_quote
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || is_han(c))
        {
            end = text.len() - after_quote.len();
            while chars.next_if(|&(j, _)| j < end).is_some() {}
        }
        let candidate = Candidate {
            sentence: &text[start..i],
            marks: &text[i..run_end],
            closers: &text[run_end..end],
            rest: &text[end..],
        };
        if candidate.is_boundary(lang) {
            cuts += push_chunked(&text[start..end], &mut sentences);
            start = end;
        }
    }
    cuts += push_chunked(&text[start..], &mut sentences);
    (sentences, cuts)
}

/// A document split into sentences.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segmented {
    /// One list of sentences for the title (when there is one), then one per
    /// paragraph, in reading order; empty paragraphs are dropped.
    pub paragraphs: Vec<Vec<String>>,
    /// How many times a sentence longer than [`MAX_SENTENCE_CHARS`] was cut.
    pub cuts: usize,
}

/// Segments a whole document: the title, then each paragraph.
pub fn segment_document(doc: &Document, lang: Lang) -> Segmented {
    let mut segmented = Segmented::default();
    for paragraph in doc.title.iter().chain(&doc.paragraphs) {
        let (sentences, cuts) = split_counting_cuts(paragraph, lang);
        segmented.cuts += cuts;
        if !sentences.is_empty() {
            segmented.paragraphs.push(sentences);
        }
    }
    segmented
}

/// A place where a sentence may end: the text before the marks, the marks, the
/// closing quotes and brackets after them, and the rest of the paragraph.
struct Candidate<'a> {
    sentence: &'a str,
    marks: &'a str,
    closers: &'a str,
    rest: &'a str,
}

impl Candidate<'_> {
    fn is_boundary(&self, lang: Lang) -> bool {
        let Some(next) = self.rest.chars().next() else {
            return true;
        };
        if self.marks.chars().any(is_full_width_terminal) {
            return !continues_sentence(self.rest) && !self.is_speech_tag_after_quote();
        }
        if next.is_whitespace() {
            return self.ends_before(self.rest.trim_start());
        }
        // Chinese often omits the space after a half-width mark (`好!他说`).
        lang == Lang::Zh
            && self
                .sentence
                .chars()
                .last()
                .is_some_and(|c| !c.is_ascii_alphanumeric())
            && if self.is_ellipsis() {
                self.ellipsis_ends_chinese_clause(next)
            } else {
                is_han(next)
            }
    }

    /// `……` directly before a new clause ends the sentence (`信心……1至2月，`), except
    /// inside a quotation, after a list (`栈道、碧水……范仲淹笔下`), before a closing
    /// quote (`“我们……”他说`) or before `等`.
    fn ellipsis_ends_chinese_clause(&self, next: char) -> bool {
        let opens_clause = is_han(next) || next.is_ascii_digit() || is_opener(next);
        let clause = self
            .sentence
            .rsplit(|c| c != '、' && is_clause_mark(c))
            .next()
            .unwrap_or_default();
        opens_clause
            && self.closers.is_empty()
            && !continues_sentence(self.rest)
            && !clause.contains('、')
            && !in_quotation(self.sentence)
    }

    /// `...`, `…` or `……`.
    fn is_ellipsis(&self) -> bool {
        self.marks.chars().all(|c| c == '.' || c == '…') && self.marks != "."
    }

    /// `“我们会赢。”他说。`: the quote and its short speech tag are one sentence. A tag
    /// is one clause that ends the sentence; `”他还说，项目……` opens a new one.
    fn is_speech_tag_after_quote(&self) -> bool {
        const SPEECH_VERBS: &[&str] = &[
            "说", "表示", "称", "道", "问", "指出", "强调", "介绍", "认为", "写道",
        ];
        if !self.closers.chars().any(|c| matches!(c, '”' | '」' | '』' | '"')) {
            return false;
        }
        let tag: String = self
            .rest
            .chars()
            .take_while(|&c| !is_terminal(c) && !is_clause_mark(c))
            .take(SPEECH_TAG_CHARS + 1)
            .collect();
        let ends_sentence = self.rest.chars().nth(tag.chars().count()).is_none_or(is_terminal);
        tag.chars().count() <= SPEECH_TAG_CHARS
            && ends_sentence
            && SPEECH_VERBS.iter().any(|v| tag.contains(v))
    }

    /// Whether a half-width mark followed by whitespace ends the sentence, given the
    /// text after the whitespace.
    fn ends_before(&self, after: &str) -> bool {
        let Some(first) = after.chars().next() else {
            return true;
        };
        if first.is_lowercase() {
            return false;
        }
        let opens_sentence = first.is_uppercase() || is_opener(first) || is_han(first);
        if self.is_ellipsis() {
            // An ellipsis ends a sentence only when a new one visibly starts.
            return opens_sentence;
        }
        if self.marks != "." {
            return true;
        }
        let word = last_word(self.sentence);
        if word.chars().all(|c| c.is_ascii_digit()) && !word.is_empty() && self.sentence.trim() == word {
            return false; // a list number: "1. The first point"
        }
        let lower = word.to_ascii_lowercase();
        if TITLES.contains(&lower.as_str()) {
            return false;
        }
        let is_initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
        let is_dotted = word.contains('.') && word.chars().all(|c| c.is_alphabetic() || c == '.');
        if is_initial || is_dotted || ABBREVIATIONS.contains(&lower.as_str()) {
            let unquoted = after.trim_start_matches(['"', '“', '‘']);
            return (unquoted.len() < after.len() && unquoted.starts_with(char::is_uppercase))
                || starts_with_sentence_starter(after);
        }
        true
    }
}

/// Whether Chinese `rest` goes on with the sentence before it: no sentence opens with a
/// clause mark, the particle `的` (`“好！”的口号`) or `等` (`苹果、香蕉……等水果`).
fn continues_sentence(rest: &str) -> bool {
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(c), _) if is_clause_mark(c) => true,
        (Some('的'), second) => second != Some('确'),
        (Some('等'), second) => !matches!(second, Some('到' | '待')),
        _ => false,
    }
}

/// Whether a Chinese quotation opened in `text` is still open at its end.
fn in_quotation(text: &str) -> bool {
    let opened = text.chars().filter(|&c| matches!(c, '“' | '「' | '『')).count();
    let closed = text.chars().filter(|&c| matches!(c, '”' | '」' | '』')).count();
    opened > closed
}

/// The longest speech tag (`刘美英说`) kept with the quote before it, in characters.
const SPEECH_TAG_CHARS: usize = 20;

/// Abbreviations that precede a name and never end a sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "capt", "sgt", "rev", "hon",
    "pres", "messrs", "mme", "supt", "cmdr", "adm", "maj", "brig",
];

/// Abbreviations that may end a sentence; after them a boundary needs a word that
/// typically starts one ("… Apple Inc. The deal …").
const ABBREVIATIONS: &[&str] = &[
    "inc", "ltd", "co", "corp", "bros", "plc", "llc", "jr", "sr", "st", "mt", "ft", "ave", "rd", "blvd",
    "no", "nos", "vol", "fig", "p", "pp", "ch", "art", "sec", "vs", "etc", "approx", "est", "dept", "univ",
    "assn", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon",
    "tue", "wed", "thu", "fri", "sat", "sun", "cf", "al", "ed", "eds", "ca",
    // US states, as in AP datelines ("AURORA, Colo. (AP) -").
    "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "ky", "la", "md",
    "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex", "va",
    "vt", "wash", "wis", "wyo",
];

/// Words that commonly open an English sentence.
const SENTENCE_STARTERS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "there",
    "his",
    "her",
    "its",
    "their",
    "our",
    "my",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "in",
    "on",
    "at",
    "as",
    "for",
    "if",
    "when",
    "while",
    "after",
    "before",
    "since",
    "however",
    "meanwhile",
    "also",
    "what",
    "why",
    "how",
    "who",
    "where",
    "some",
    "many",
    "most",
    "all",
    "one",
    "both",
    "other",
    "such",
    "last",
    "according",
    "despite",
    "although",
    "during",
];

fn starts_with_sentence_starter(after: &str) -> bool {
    let word: String = after.chars().take_while(|c| c.is_alphabetic()).take(20).collect();
    word.chars().next().is_some_and(char::is_uppercase)
        && SENTENCE_STARTERS.contains(&word.to_lowercase().as_str())
}

/// The last whitespace-separated token of `text`, without opening quotes/brackets.
fn last_word(text: &str) -> &str {
    let token = text.rsplit(char::is_whitespace).next().unwrap_or(text);
    token.trim_start_matches(is_opener)
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…') || is_full_width_terminal(c)
}

fn is_full_width_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | ')'
            | ']'
            | '}'
            | '»'
            | '」'
            | '』'
            | '）'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '］'
    )
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '‘'
            | '('
            | '['
            | '{'
            | '«'
            | '「'
            | '『'
            | '（'
            | '《'
            | '〈'
            | '【'
            | '〔'
            | '［'
    )
}

/// Marks after which a chunk of an over-long sentence is cut, best first.
fn is_clause_mark(c: char) -> bool {
    matches!(c, '；' | ';' | '，' | ',' | '、' | '：' | ':')
}

/// Pushes `sentence`, trimmed, cut into chunks of at most [`MAX_SENTENCE_CHARS`]
/// characters. Each chunk ends after the last clause mark in its second half, or
/// else the last whitespace there, or else at the limit. Linear in the input.
/// Returns the number of cuts.
fn push_chunked(sentence: &str, out: &mut Vec<String>) -> usize {
    let mut rest = sentence.trim();
    let mut cuts = 0;
    while !rest.is_empty() {
        let Some((limit, _)) = rest.char_indices().nth(MAX_SENTENCE_CHARS) else {
            out.push(rest.to_string());
            break;
        };
        cuts += 1;
        let window = &rest[..limit];
        let half = window
            .char_indices()
            .nth(MAX_SENTENCE_CHARS / 2)
            .map_or(0, |(i, _)| i);
        let cut_after = |pred: fn(char) -> bool| {
            window[half..]
                .char_indices()
                .rev()
                .find(|&(_, c)| pred(c))
                .map(|(i, c)| half + i + c.len_utf8())
        };
        let cut = cut_after(is_clause_mark)
            .or_else(|| cut_after(char::is_whitespace))
            .unwrap_or(limit);
        let chunk = rest[..cut].trim();
        if !chunk.is_empty() {
            out.push(chunk.to_string());
        }
        rest = rest[cut..].trim_start();
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(text: &str) -> Vec<String> {
        split_sentences(text, Lang::En)
    }

    fn zh(text: &str) -> Vec<String> {
        split_sentences(text, Lang::Zh)
    }

    #[test]
    fn english_titles_and_abbreviations_do_not_end_sentences() {
        assert_eq!(
            en("Mr. Smith met Dr. Jones at No. 10 Downing St. on Jan. 5. They talked."),
            [
                "Mr. Smith met Dr. Jones at No. 10 Downing St. on Jan. 5.",
                "They talked."
            ]
        );
        assert_eq!(
            en("U.S. President Joe Biden spoke. The U.S. economy grew."),
            ["U.S. President Joe Biden spoke.", "The U.S. economy grew."]
        );
    }

    #[test]
    fn english_abbreviation_at_sentence_end_splits_before_a_sentence_starter() {
        assert_eq!(
            en("The deal was signed by Apple Inc. The shares rose in the U.S. He was pleased."),
            [
                "The deal was signed by Apple Inc.",
                "The shares rose in the U.S.",
                "He was pleased."
            ]
        );
    }

    #[test]
    fn english_initials_numbers_and_money() {
        assert_eq!(
            en("John F. Kennedy was elected in 1960. Revenue was US$6.61 billion, up 25.1%. Fine."),
            [
                "John F. Kennedy was elected in 1960.",
                "Revenue was US$6.61 billion, up 25.1%.",
                "Fine."
            ]
        );
    }

    #[test]
    fn english_quotes_brackets_ellipses_and_questions() {
        assert_eq!(
            en("\"We will win.\" He smiled. (It was late.) Really?! Yes... and no... Then it ended."),
            [
                "\"We will win.\"",
                "He smiled.",
                "(It was late.)",
                "Really?!",
                "Yes... and no...",
                "Then it ended."
            ]
        );
    }

    #[test]
    fn english_list_numbers_stay_with_their_item() {
        assert_eq!(en("1. Build the zone."), ["1. Build the zone."]);
        assert_eq!(
            en("It fell to 2. Prices rose."),
            ["It fell to 2.", "Prices rose."]
        );
    }

    #[test]
    fn chinese_terminal_marks_and_closing_quotes() {
        assert_eq!(
            zh("乡村振兴，人才是关键。人才哪里找？“我们会赢！”他们说：“一定会。”真的吗?是的!"),
            [
                "乡村振兴，人才是关键。",
                "人才哪里找？",
                "“我们会赢！”",
                "他们说：“一定会。”",
                "真的吗?",
                "是的!"
            ]
        );
    }

    #[test]
    fn chinese_speech_tag_stays_with_its_quote() {
        assert_eq!(
            zh("“今年是开局之年。”刘美英说。目标已经确定。"),
            ["“今年是开局之年。”刘美英说。", "目标已经确定。"]
        );
    }

    /// Issue 19's first sentence: the speaker is named before the quote, and what follows
    /// the quote is a new statement, not a speech tag.
    #[test]
    fn chinese_quote_ending_a_statement_ends_the_sentence() {
        assert_eq!(
            zh("梁胜指出：“许多项目具有国家意义，是同类中的第一个。”他还说，项目预计在一到两年内完成。"),
            [
                "梁胜指出：“许多项目具有国家意义，是同类中的第一个。”",
                "他还说，项目预计在一到两年内完成。"
            ]
        );
        assert_eq!(
            zh("「准备好了吗？」『还没有！』（会议推迟了。）他补充道：“我们不能为此道歉。”"),
            [
                "「准备好了吗？」",
                "『还没有！』",
                "（会议推迟了。）",
                "他补充道：“我们不能为此道歉。”"
            ]
        );
        assert_eq!(
            zh("他引用了‘行胜于言。’大家都同意。"),
            ["他引用了‘行胜于言。’", "大家都同意。"]
        );
    }

    #[test]
    fn chinese_quote_inside_a_sentence_does_not_end_it() {
        assert_eq!(
            zh("他用一句“我们会赢！”的口号鼓舞大家。"),
            ["他用一句“我们会赢！”的口号鼓舞大家。"]
        );
        assert_eq!(
            zh("“这里真美。”，孙阿姨说。他用“绿水青山就是金山银山”来形容。"),
            ["“这里真美。”，孙阿姨说。", "他用“绿水青山就是金山银山”来形容。"]
        );
    }

    /// Issue 19's second sentence.
    #[test]
    fn chinese_ellipsis_before_a_new_clause_ends_the_sentence() {
        assert_eq!(
            zh("专家认为，外资企业数量同比增长25.1%，显示出强劲的信心……1至2月，合同外资达到66.1亿美元，同比增长150%。"),
            [
                "专家认为，外资企业数量同比增长25.1%，显示出强劲的信心……",
                "1至2月，合同外资达到66.1亿美元，同比增长150%。"
            ]
        );
        assert_eq!(
            zh("他沉默了很久……我们都不知道该说什么。"),
            ["他沉默了很久……", "我们都不知道该说什么。"]
        );
    }

    #[test]
    fn chinese_ellipsis_in_a_quotation_list_or_before_a_tag_does_not_end_the_sentence() {
        assert_eq!(
            zh("他说：“我们……我们一定会赢。”大家都笑了。"),
            ["他说：“我们……我们一定会赢。”", "大家都笑了。"]
        );
        assert_eq!(
            zh("飞鸟、绿树、栈道、碧水……范仲淹笔下的美景在这里重现。"),
            ["飞鸟、绿树、栈道、碧水……范仲淹笔下的美景在这里重现。"]
        );
        assert_eq!(
            zh("“我们……”他停了一下，“一定会赢。”"),
            ["“我们……”他停了一下，“一定会赢。”"]
        );
        assert_eq!(zh("市场上有苹果……等各种水果。"), ["市场上有苹果……等各种水果。"]);
    }

    #[test]
    fn chinese_list_numbers_decimals_and_times_do_not_split() {
        assert_eq!(
            zh("一、加强管理。1.完善制度；2.落实责任。"),
            ["一、加强管理。", "1.完善制度；2.落实责任。"]
        );
        assert_eq!(
            zh("利率下调1.5%，会议于上午9.30开始，10:30结束。"),
            ["利率下调1.5%，会议于上午9.30开始，10:30结束。"]
        );
    }

    #[test]
    fn chinese_numbers_and_latin_text_do_not_split() {
        assert_eq!(
            zh("增长了3.5%。苹果公司(Apple Inc.)发布了iPhone 12。U.S.市场很大。"),
            [
                "增长了3.5%。",
                "苹果公司(Apple Inc.)发布了iPhone 12。",
                "U.S.市场很大。"
            ]
        );
    }

    #[test]
    fn long_text_without_punctuation_is_cut_into_bounded_chunks() {
        let text = "word ".repeat(1000);
        let chunks = en(&text);
        assert!(chunks.len() >= 5, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.chars().count() <= MAX_SENTENCE_CHARS));
        assert_eq!(chunks.join(" "), text.trim());

        let han = "中".repeat(2500);
        let chunks = zh(&han);
        assert_eq!(
            chunks.iter().map(|c| c.chars().count()).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
    }

    #[test]
    fn long_chunks_prefer_clause_marks() {
        let text = format!("{}，{}", "中".repeat(700), "文".repeat(700));
        assert_eq!(zh(&text), [format!("{}，", "中".repeat(700)), "文".repeat(700)]);
    }

    #[test]
    fn document_segments_title_then_paragraphs() {
        let doc = Document {
            title: Some("Headline".into()),
            paragraphs: vec!["One. Two.".into(), "  ".into(), "Three.".into()],
            date: None,
        };
        let segmented = segment_document(&doc, Lang::En);
        assert_eq!(
            segmented.paragraphs,
            vec![vec!["Headline"], vec!["One.", "Two."], vec!["Three."]]
        );
        assert_eq!(segmented.cuts, 0);
        let long = Document {
            paragraphs: vec!["x".repeat(2 * MAX_SENTENCE_CHARS + 1)],
            ..Document::default()
        };
        assert_eq!(segment_document(&long, Lang::En).cuts, 2);
    }
}
