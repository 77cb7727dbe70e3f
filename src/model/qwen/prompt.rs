//! The translation prompt (Qwen's ChatML template) and the clean-up of what the model answers.

use super::latin::KeptWords;
use crate::text::detect::{is_han, latin_words, lowercase_latin_words};
use crate::text::fidelity::{invented_numbers, missing_numbers, quote_lost, stutter, too_short};
use crate::text::numbers::{with_chinese_scales, with_english_scales};
use crate::text::Lang;
use std::borrow::Cow;

/// The chat prompt around one sentence, split where the sentence goes so that the
/// tokens of `prefix` can be computed once and shared by every sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// System turn and the start of the user turn, up to the sentence.
    pub prefix: String,
    /// End of the user turn and the start of the assistant turn.
    pub suffix: String,
}

/// The start of the system turn, up to where a sentence's context goes.
const SYSTEM: &str = "<|im_start|>system\nYou are a professional news translator.";

/// End of the user turn and opening of the assistant's answer.
const ASSISTANT: &str = "<|im_end|>\n<|im_start|>assistant\n";

/// How the first answer into Chinese opens ("Translation:"), written into the prompt:
/// a small model that has started a Chinese answer seldom copies the English source. On
/// the first 48 WMT21 en→zh segments it halved the 0.5B model's retries (17 → 8). The
/// strict retry goes without it, so that it differs from the first try in more than its
/// wording.
const ZH_ANSWER_OPENING: &str = "译文：";

/// Worked examples the model reads before each English sentence, as earlier turns of the
/// chat: written for bitext, not taken from any test set. They show a name kept, a
/// weekday kept a weekday (no invented date), an amount at its scale and quotes kept. On
/// WMT21 en→zh lines 1–150 they raised Coder-1.5B's chrF from 22.0 to 22.8 (docs/quality.md).
const EN_EXAMPLES: &[(&str, &str)] = &[
    (
        "Health Minister Sarah Collins said on Tuesday that the government would spend £2.5 billion on new hospitals over the next three years.",
        "卫生大臣Sarah Collins周二表示，政府将在未来三年投入25亿英镑新建医院。",
    ),
    (
        "\"We cannot wait any longer,\" she told reporters in London, adding that waiting lists had grown by 12% since March.",
        "“我们不能再等了，”她在伦敦对记者说，并补充称，自3月以来候诊人数增加了12%。",
    ),
];

/// The same for Chinese sentences into English.
const ZH_EXAMPLES: &[(&str, &str)] = &[
    (
        "国家统计局周一公布的数据显示，前三季度全国居民人均可支配收入为2.6万元，同比增长5.9%。",
        "Data released by the National Bureau of Statistics on Monday showed that per capita disposable income was 26,000 yuan in the first three quarters, up 5.9% year on year.",
    ),
    (
        "“这是我们第一次在海外举办展览，”博物馆馆长张伟说。",
        "\"This is the first time we have held an exhibition overseas,\" said Zhang Wei, the museum's director.",
    ),
];

impl Prompt {
    /// The prompt for translating from `from` into `to`. `strict` is the wording of the
    /// retry after an answer that was not a translation.
    pub fn new(from: Lang, to: Lang, strict: bool) -> Self {
        let instruction = format!(
            "Translate the following {} text into {}. Reply with the translation only.",
            language_name(from),
            language_name(to)
        );
        let strict_line = if strict {
            format!(
                " Do not repeat the {} text, do not explain; write every word in {}.",
                language_name(from),
                language_name(to)
            )
        } else {
            String::new()
        };
        let opening = if to == Lang::Zh && !strict {
            ZH_ANSWER_OPENING
        } else {
            ""
        };
        // Worked examples as earlier chat turns, in the shared prefix: computed once. Their
        // sources read as every sentence does ([`as_read`]): an example that turns
        // "£2.5 billion" into `25亿英镑` teaches a model to drop the decimal point of the
        // `66.1亿` it reads.
        let examples: String = examples(from)
            .iter()
            .map(|(source, translation)| {
                let source = as_read(source, to);
                format!(
                    "<|im_start|>user\n{instruction}{strict_line}\n\n{source}{ASSISTANT}{opening}{translation}<|im_end|>\n"
                )
            })
            .collect();
        Prompt {
            prefix: format!("{SYSTEM}<|im_end|>\n{examples}<|im_start|>user\n{instruction}{strict_line}\n\n"),
            suffix: match (to, strict) {
                (Lang::Zh, false) => format!("{ASSISTANT}{ZH_ANSWER_OPENING}"),
                _ => ASSISTANT.to_string(),
            },
        }
    }

    /// The whole prompt for `sentence`.
    pub fn render(&self, sentence: &str) -> String {
        format!("{}{}{}", self.prefix, sentence, self.suffix)
    }

    /// The whole prompt for `sentence` read after `context` (see [`context_block`]).
    pub fn render_in_context(&self, context: &[String], sentence: &str) -> String {
        let (head, rest) = self.split_for_context();
        format!("{head}{}{rest}{sentence}{}", context_block(context), self.suffix)
    }

    /// The prefix cut where a sentence's context goes: the start of the system turn, which
    /// every prompt shares, and the rest of the prefix, which follows the context.
    pub fn split_for_context(&self) -> (&str, &str) {
        self.prefix.split_at(SYSTEM.len())
    }
}

/// A source sentence as the model reads it, translating into `to`: its amounts already at
/// the target language's scale (`17.5亿` as `1.75 billion`, "6.61 billion" as `66.1亿`),
/// which small models get wrong by a power of ten more often than not. Answers are judged
/// against the sentence as written.
pub fn as_read(sentence: &str, to: Lang) -> Cow<'_, str> {
    match to {
        Lang::En => with_english_scales(sentence),
        Lang::Zh => with_chinese_scales(sentence),
    }
}

/// What the system turn says about the sentences before the one to translate. The
/// context sits in the system turn, not next to the sentence in the user turn, because a
/// 0.5B model given both in the user turn translated the context instead of the sentence
/// (WMT21 en→zh lines 2 and 8 came out as translations of lines 1 and 7). Empty without
/// context, so that the first sentence of a document gets the plain prompt.
pub fn context_block(context: &[String]) -> String {
    let context: Vec<&str> = context
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if context.is_empty() {
        return String::new();
    }
    format!(
        " The text to translate comes from a news article; the article's sentences just before it are: {}",
        context.join(" ")
    )
}

fn examples(from: Lang) -> &'static [(&'static str, &'static str)] {
    match from {
        Lang::En => EN_EXAMPLES,
        Lang::Zh => ZH_EXAMPLES,
    }
}

/// How the prompt names a language ("Simplified Chinese" so that zh output is not Traditional).
fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Zh => "Simplified Chinese",
    }
}

/// Labels a model may put before its answer; removed when they open the output.
const LABELS: &[&str] = &[
    "translation:",
    "translated text:",
    "english translation:",
    "english:",
    "simplified chinese:",
    "chinese translation:",
    "chinese:",
    "翻译：",
    "翻译:",
    "译文：",
    "译文:",
    "中文：",
    "中文:",
    "英文：",
    "英文:",
    "英语：",
    "英语:",
];

/// Quote pairs a model may wrap its answer in.
const QUOTES: &[(char, char)] = &[
    ('"', '"'),
    ('“', '”'),
    ('「', '」'),
    ('『', '』'),
    ('\'', '\''),
    ('`', '`'),
];

/// Turns the model's answer into the bare translation of `source`: drops code fences,
/// a leading label ("Translation:", "译文："), notes and explanations on lines after the
/// translation (when the source is one line), and quotes the source did not have.
pub fn clean_output(answer: &str, source: &str) -> String {
    let mut lines = answer
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("```"));
    let mut text = if source.contains('\n') {
        lines.collect::<Vec<_>>().join("\n")
    } else {
        // The first line holding more than a label is the translation; what follows
        // it is commentary.
        let mut text = String::new();
        for line in lines.by_ref() {
            text = strip_label(line).to_string();
            if !text.is_empty() {
                break;
            }
        }
        text
    };
    text = strip_label(&text).to_string();
    let source = source.trim();
    // A quoted source ("...", “...”, 「...」) gets a quoted translation, in whichever quotes.
    let quoted = |s: &str| {
        QUOTES
            .iter()
            .any(|&(open, close)| s.len() > 2 && s.starts_with(open) && s.ends_with(close))
    };
    if !quoted(source) {
        for &(open, close) in QUOTES {
            let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) else {
                continue;
            };
            // Only a wrapper when it is the single pair: "a" and "b" keeps its quotes.
            if !inner.is_empty() && !inner.contains(open) && !inner.contains(close) {
                text = inner.trim().to_string();
                break;
            }
        }
    }
    text
}

/// `line` without a leading answer label.
fn strip_label(line: &str) -> &str {
    for label in LABELS {
        if let Some(head) = line.get(..label.len()) {
            if head.eq_ignore_ascii_case(label) {
                return line[label.len()..].trim_start();
            }
        }
    }
    line
}

/// Why an answer is not an acceptable translation, from the mildest to the worst: when
/// the strict retry fails too, the answer with the milder defect is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Defect {
    /// An English source quotes someone and the Chinese answer has no quotation mark
    /// ([`crate::text::fidelity::quote_lost`]): reported speech, often without its
    /// speaker. Retried, but never flagged: reported speech is still a translation.
    QuoteLost,
    /// A Chinese answer far shorter than its English source warrants
    /// ([`crate::text::fidelity::too_short`]): a clause left out.
    TooShort,
    /// The answer does not write a number of the source
    /// ([`crate::text::fidelity::missing_numbers`]).
    MissingNumber,
    /// The answer writes a number, month or day its source does not
    /// ([`crate::text::fidelity::invented_numbers`]).
    InventedNumber,
    /// A Chinese answer with a lowercase English word left in it that the source does
    /// not allow to be kept (a name or unit would be).
    LeftoverLatin,
    /// An English answer with Chinese words left in it (small models code-switch).
    LeftoverHan,
    /// The answer says a word three times in a row where the source does not
    /// ([`crate::text::fidelity::stutter`]).
    Stutter,
    /// The answer ran into the length cap without ending (usually a loop).
    LengthCap,
    /// The answer is (nearly) the source sentence again.
    CopiedSource,
    /// Too little of the answer is in the target language's script.
    WrongScript,
    /// Nothing left after clean-up.
    Empty,
}

/// Checks a cleaned answer against the target language: non-empty, mostly in the target
/// script (Han characters for zh, against two per Latin word; Latin letters for en,
/// against three per Han character), not a copy of the source, for English without any
/// Han character, for Chinese without a lowercase English word of three or more
/// letters that the source does not allow to be kept ([`KeptWords`]), without a stutter
/// with every number of the source, no number the source lacks, and in Chinese not far
/// shorter than the source warrants.
pub fn defect(answer: &str, source: &str, to: Lang) -> Option<Defect> {
    if answer.trim().is_empty() {
        return Some(Defect::Empty);
    }
    let han = answer.chars().filter(|&c| is_han(c)).count();
    let latin = answer.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let letters = han + latin;
    let target_share = match to {
        // Names and terms a translation keeps in Latin letters count by the word, so
        // that a Chinese sentence naming "Liverpool" and "Newcastle" is not judged
        // English. On WMT21 en→zh segments 501-596 the letter count rejected 26 first
        // answers of the 0.5B model, most of them Chinese; this rule rejects 6.
        Lang::Zh => han as f32 / (han + HAN_PER_LATIN_WORD * latin_words(answer)).max(1) as f32,
        // Latin letters are several per word, Han one per word: weigh them alike.
        Lang::En => latin as f32 / (latin as f32 + 3.0 * han as f32).max(1.0),
    };
    if letters > 0 && target_share < 0.5 {
        return Some(Defect::WrongScript);
    }
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    if letters > 0 && squash(answer) == squash(source) {
        return Some(Defect::CopiedSource);
    }
    let leftover = match to {
        Lang::En if han > 0 => Some(Defect::LeftoverHan),
        Lang::Zh => {
            let mut words = lowercase_latin_words(answer).peekable();
            // The source's kept words are worked out once, and only when there is a word to check.
            let kept = words.peek().is_some().then(|| KeptWords::from_source(source));
            kept.filter(|kept| words.any(|w| !kept.keeps(w)))
                .map(|_| Defect::LeftoverLatin)
        }
        _ => None,
    };
    leftover
        .or_else(|| (stutter(answer).is_some() && stutter(source).is_none()).then_some(Defect::Stutter))
        .or_else(|| {
            (!missing_numbers(source, answer, to.other()).is_empty()).then_some(Defect::MissingNumber)
        })
        .or_else(|| {
            (!invented_numbers(source, answer, to.other()).is_empty()).then_some(Defect::InventedNumber)
        })
        .or_else(|| too_short(source, answer, to.other()).then_some(Defect::TooShort))
        .or_else(|| quote_lost(source, answer, to.other()).then_some(Defect::QuoteLost))
}

/// How many Han characters a Latin word left in a Chinese answer stands for (a Chinese
/// word is one to two characters).
const HAN_PER_LATIN_WORD: usize = 2;

/// True for the start of an answer into Chinese that is not going to be one: Latin
/// letters and no Han character (a copy of the source or an English rewording).
pub fn latin_without_han(start: &str) -> bool {
    start.chars().any(|c| c.is_ascii_alphabetic()) && !start.chars().any(is_han)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_in_context_reads_its_context_in_the_system_turn() {
        let prompt = Prompt::new(Lang::En, Lang::Zh, false);
        let context = vec!["Xia Haihong heads the bureau.".to_string(), "  ".to_string()];
        let text = prompt.render_in_context(&context, "She said prices rose.");
        let (head, rest) = prompt.split_for_context();
        assert_eq!(
            text,
            format!(
                "<|im_start|>system\nYou are a professional news translator. The text to translate \
                 comes from a news article; the article's sentences just before it are: Xia Haihong \
                 heads the bureau.{rest}She said prices rose.<|im_end|>\n<|im_start|>assistant\n译文："
            )
        );
        // The worked examples follow the system turn; the sentence's own user turn comes last.
        assert!(rest.starts_with("<|im_end|>\n<|im_start|>user\n"), "{rest:?}");
        assert!(
            rest.contains(&format!("译文：{}<|im_end|>", EN_EXAMPLES[1].1)),
            "{rest:?}"
        );
        assert!(rest.ends_with(
            "<|im_start|>user\nTranslate the following English text into Simplified Chinese. \
             Reply with the translation only.\n\n"
        ));
        // The head is the start of every prompt, so its cache serves them all.
        assert!(text.starts_with(head));
        assert_eq!(format!("{head}{rest}"), prompt.prefix);
    }

    #[test]
    fn the_model_reads_amounts_at_the_target_scale() {
        assert_eq!(as_read("补水17.5亿立方米", Lang::En), "补水1.75 billion立方米");
        assert_eq!(
            as_read("It cost US$6.61 billion.", Lang::Zh),
            "It cost US$66.1亿."
        );
        assert!(matches!(as_read("No amount here.", Lang::Zh), Cow::Borrowed(_)));
        // The worked examples read the same way.
        let prompt = Prompt::new(Lang::En, Lang::Zh, false);
        assert!(prompt.prefix.contains("spend £25亿 on new hospitals"));
        assert!(!prompt.prefix.contains("billion"));
        let prompt = Prompt::new(Lang::Zh, Lang::En, false);
        assert!(prompt.prefix.contains("收入为26,000元"));
    }

    #[test]
    fn without_context_the_prompt_is_the_plain_one() {
        let prompt = Prompt::new(Lang::Zh, Lang::En, false);
        assert_eq!(context_block(&[]), "");
        assert_eq!(context_block(&[" ".to_string()]), "");
        assert_eq!(prompt.render_in_context(&[], "他说。"), prompt.render("他说。"));
    }

    #[test]
    fn several_context_sentences_are_read_in_document_order() {
        let context = ["第一句。".to_string(), "第二句。".to_string()];
        assert_eq!(
            context_block(&context),
            " The text to translate comes from a news article; the article's sentences just before it are: 第一句。 第二句。"
        );
    }
}
