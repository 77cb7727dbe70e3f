//! What frames a news sentence by convention and is written by rule, not translated:
//! quotation marks around the whole sentence (`“希望水早点退吧。”`), and the site a
//! Chinese headline is credited to (`…城市“定居” - 中新网`, "… - Chinanews.com").
//!
//! Small models drop both: Coder-1.5B wrote all 3 wholly quoted sentences of WMT21 zh→en
//! lines 151–500 without their quotes, and credited `中新网` to "China News Agency" (which
//! is `中新社`) or left the credit out.

use crate::text::dateline::CHINESE_AGENCIES;
use crate::text::Lang;
use regex::Regex;
use std::sync::LazyLock;

/// A sentence wholly inside one pair of double quotes, with nothing but a full stop after it.
static WHOLLY_QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*[“"]([^“”"]*[^“”"\s][^“”"]*)[”"]\s*[。.]?\s*$"#).expect("the quote pattern is valid")
});

/// A headline, a dash, and the site or agency it is credited to.
static CREDITED: LazyLock<Regex> = LazyLock::new(|| {
    let sites: Vec<&str> = CHINESE_AGENCIES.iter().map(|(zh, _)| *zh).collect();
    Regex::new(&format!(r"^(.*\S)\s*[-－—–]+\s*({})\s*$", sites.join("|")))
        .expect("the credit pattern is valid")
});

/// The frame of one sentence: what the translation is put back into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame {
    /// The whole sentence is one quotation.
    quoted: bool,
    /// The English name of the site a Chinese headline is credited to.
    credit: Option<&'static str>,
}

impl Frame {
    /// The frame of `sentence`, written in `lang`, and the text inside it, which is what
    /// the engine should translate.
    pub fn split(sentence: &str, lang: Lang) -> (Frame, &str) {
        let mut frame = Frame::default();
        let mut inner = sentence;
        if lang == Lang::Zh {
            if let Some(caps) = CREDITED.captures(inner) {
                frame.credit = CHINESE_AGENCIES
                    .iter()
                    .find(|(zh, _)| *zh == &caps[2])
                    .map(|(_, en)| *en);
                inner = caps.get(1).map_or(inner, |m| m.as_str());
            }
        }
        if let Some(quoted) = WHOLLY_QUOTED.captures(inner).and_then(|caps| caps.get(1)) {
            frame.quoted = true;
            inner = quoted.as_str().trim();
        }
        (frame, inner)
    }

    /// `translation` (into `to`) put back into the frame: in quotation marks (straight
    /// ones in English, `“”` in Chinese) if the source was one quotation and the engine
    /// did not quote it already, then the credit. Without a frame, `translation` as it is.
    pub fn wrap(&self, translation: &str, to: Lang) -> String {
        if *self == Frame::default() {
            return translation.to_string();
        }
        let mut text = translation.trim().to_string();
        if text.is_empty() {
            return text;
        }
        let quoted = |t: &str| t.starts_with(['"', '“']) && t.ends_with(['"', '”']) && t.chars().count() > 1;
        if self.quoted && !quoted(&text) {
            text = match to {
                Lang::En => format!("\"{text}\""),
                Lang::Zh => format!("“{text}”"),
            };
        }
        if let Some(credit) = self.credit {
            // A headline has no full stop, though models give it one.
            let headline = text.strip_suffix('.').unwrap_or(&text);
            text = format!("{headline} - {credit}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_wholly_in_quotes_is_translated_without_them_and_quoted_again() {
        let (frame, inner) = Frame::split("“希望水早点退吧。”", Lang::Zh);
        assert_eq!(inner, "希望水早点退吧。");
        assert_eq!(
            frame.wrap("We hope the water goes down soon.", Lang::En),
            "\"We hope the water goes down soon.\""
        );
        let (frame, inner) = Frame::split("\"We must act fast.\"", Lang::En);
        assert_eq!(inner, "We must act fast.");
        assert_eq!(frame.wrap("我们必须迅速行动。", Lang::Zh), "“我们必须迅速行动。”");
    }

    #[test]
    fn quotes_inside_a_sentence_are_left_to_the_engine() {
        for (sentence, lang) in [
            ("他说：“我们不能再等了。”", Lang::Zh),
            ("“天下黄河富宁夏”，黄河流经宁夏397公里。", Lang::Zh),
            ("“一个”和“两个”", Lang::Zh),
            ("\"We cannot wait,\" she said.", Lang::En),
            ("“ ”", Lang::Zh),
        ] {
            let (frame, inner) = Frame::split(sentence, lang);
            assert_eq!((frame, inner), (Frame::default(), sentence), "{sentence}");
        }
    }

    #[test]
    fn a_credited_headline_gets_the_sites_english_name() {
        let (frame, inner) = Frame::split(
            "北京自然生态持续向好 吸引500余种野生动物城市“定居 ” - 中新网",
            Lang::Zh,
        );
        assert_eq!(inner, "北京自然生态持续向好 吸引500余种野生动物城市“定居 ”");
        assert_eq!(
            frame.wrap("Beijing's ecology keeps improving.", Lang::En),
            "Beijing's ecology keeps improving - Chinanews.com"
        );
        let (frame, inner) = Frame::split("黑土地“种”出农业现代化-新华网", Lang::Zh);
        assert_eq!(inner, "黑土地“种”出农业现代化");
        assert_eq!(
            frame.wrap("Modern farming", Lang::En),
            "Modern farming - Xinhuanet"
        );
        // A site named inside the text, or an English sentence, has no credit.
        for (sentence, lang) in [
            ("据新华网报道，洪水退了。", Lang::Zh),
            ("Flooding eased - Reuters", Lang::En),
        ] {
            assert_eq!(
                Frame::split(sentence, lang),
                (Frame::default(), sentence),
                "{sentence}"
            );
        }
    }

    #[test]
    fn an_empty_or_already_quoted_answer_is_left_as_it_is() {
        let (frame, _) = Frame::split("“希望水早点退吧。”", Lang::Zh);
        assert_eq!(frame.wrap("  ", Lang::En), "");
        assert_eq!(frame.wrap("\"We hope so.\"", Lang::En), "\"We hope so.\"");
        assert_eq!(Frame::default().wrap(" as it is ", Lang::En), " as it is ");
    }
}
