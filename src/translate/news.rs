//! An engine wrapper that applies the conventions of news by rule, around any engine:
//! datelines are written by rule (see [`crate::text::dateline`]) and the engine translates
//! the dateline's place names and the rest of the sentence, a Chinese rest with its bare
//! days of the month given their month; a sentence wholly in quotes is quoted, and a
//! Chinese headline's credit written, by rule ([`crate::text::frame`]); into English,
//! Chinese names the engine misread in pinyin are put right from the source
//! ([`crate::text::names`]).

use super::{collect_each, in_context, Engine, EngineStats, InContext, Verdict};
use crate::text::dateline::Dateline;
use crate::text::detect::is_han;
use crate::text::frame::Frame;
use crate::text::names::mend_names;
use crate::text::Lang;
use std::collections::BTreeMap;

/// An engine that writes datelines and mends names by rule, and translates the rest with
/// `inner`.
pub struct NewsEngine {
    inner: Box<dyn Engine>,
    /// Translations of the place names seen so far; a place is translated once.
    places: BTreeMap<String, Option<String>>,
    /// Place names the inner engine translated, which its stats count as sentences.
    place_rows: usize,
}

impl NewsEngine {
    /// Wraps `inner`, in either direction.
    pub fn new(inner: Box<dyn Engine>) -> Self {
        NewsEngine {
            inner,
            places: BTreeMap::new(),
            place_rows: 0,
        }
    }

    /// Translates the places of `datelines` that have no translation yet, in one call.
    fn translate_places<'a>(&mut self, datelines: impl Iterator<Item = &'a Dateline>) -> anyhow::Result<()> {
        let mut new: Vec<String> = datelines
            .flat_map(Dateline::places)
            .filter(|p| !self.places.contains_key(*p))
            .map(str::to_string)
            .collect();
        new.sort();
        new.dedup();
        if new.is_empty() {
            return Ok(());
        }
        let answers = self.inner.translate_in_context(&in_context(&new, 0))?;
        self.place_rows += new.len();
        let to = self.inner.direction().1;
        for (place, (answer, verdict)) in new.into_iter().zip(answers) {
            let name = place_name(&answer, to).filter(|_| verdict.accepted() != Some(false));
            self.places.insert(place, name);
        }
        Ok(())
    }
}

/// The engine's answer for a place name, as a dateline writes it in `lang`, or `None` when
/// it is not a name: empty, a sentence, or not in `lang`'s script (Han left in English,
/// Latin letters in Chinese).
fn place_name(answer: &str, lang: Lang) -> Option<String> {
    let name = answer
        .trim()
        .trim_end_matches(['.', '。'])
        .trim_matches(['"', '“', '”'])
        .trim();
    let is_name = match lang {
        Lang::En => {
            name.split_whitespace().count() <= 4 && !name.chars().any(is_han) && !name.contains(['(', ')'])
        }
        Lang::Zh => name.chars().count() <= 12 && name.chars().all(|c| is_han(c) || c == '·'),
    };
    (!name.is_empty() && is_name).then(|| name.to_string())
}

impl Engine for NewsEngine {
    fn direction(&self) -> (Lang, Lang) {
        self.inner.direction()
    }

    fn signature(&self) -> String {
        let names = match self.inner.direction() {
            (Lang::Zh, Lang::En) => "|pinyin-names=source-v2",
            _ => "",
        };
        format!("{}|datelines=v1|frames=v1{names}", self.inner.signature())
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        Ok(self
            .translate_checked(sentences)?
            .into_iter()
            .map(|(text, _)| text)
            .collect())
    }

    fn translate_checked(&mut self, sentences: &[String]) -> anyhow::Result<Vec<(String, Verdict)>> {
        self.translate_in_context(&in_context(sentences, 0))
    }

    fn log_likelihoods(&mut self, pairs: &[(String, String)]) -> anyhow::Result<Vec<f64>> {
        self.inner.log_likelihoods(pairs)
    }

    fn context_window(&self) -> usize {
        self.inner.context_window()
    }

    fn translate_in_context(&mut self, items: &[InContext]) -> anyhow::Result<Vec<(String, Verdict)>> {
        collect_each(self, items)
    }

    fn translate_each(
        &mut self,
        items: &[InContext],
        done: &mut dyn FnMut(usize, (String, Verdict)) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let (from, to) = self.inner.direction();
        let split: Vec<Option<(Dateline, &str)>> = items
            .iter()
            .map(|item| Dateline::split(&item.sentence, from))
            .collect();
        self.translate_places(split.iter().flatten().map(|(d, _)| d))?;
        let framed: Vec<(Frame, &str)> = items
            .iter()
            .zip(&split)
            .map(|(item, split)| Frame::split(split.as_ref().map_or(&item.sentence, |(_, rest)| rest), from))
            .collect();
        let rests: Vec<InContext> = items
            .iter()
            .zip(split.iter().zip(&framed))
            .map(|(item, (split, (_, inner)))| InContext {
                sentence: match split {
                    Some((dateline, _)) => dateline.prepared(inner).into_owned(),
                    None => inner.to_string(),
                },
                context: item.context.clone(),
            })
            .collect();
        let places = &self.places;
        let mends_names = (from, to) == (Lang::Zh, Lang::En);
        self.inner.translate_each(&rests, &mut |i, (text, verdict)| {
            let text = framed[i].0.wrap(&text, to);
            let text = match &split[i] {
                Some((dateline, _)) => dateline.translated(|p| places.get(p).cloned().flatten(), &text),
                None => text,
            };
            let text = match mends_names {
                true => mend_names(&items[i].sentence, &text).into_owned(),
                false => text,
            };
            done(i, (text, verdict))
        })
    }

    fn answers_independently(&self) -> bool {
        self.inner.answers_independently()
    }

    fn stats(&self) -> EngineStats {
        let mut stats = self.inner.stats();
        stats.sentences = stats.sentences.saturating_sub(self.place_rows);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Answers every sentence with its length in characters, a few place names with a
    /// translation (`北京` "Beijing.", `Islamabad` `伊斯兰堡。`) or a copy, and `刘化莲说。`
    /// with the name misread; keeps the sentences of each call.
    struct Lengths {
        direction: (Lang, Lang),
        calls: Rc<RefCell<Vec<Vec<String>>>>,
    }

    impl Engine for Lengths {
        fn direction(&self) -> (Lang, Lang) {
            self.direction
        }
        fn signature(&self) -> String {
            "lengths".into()
        }
        fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
            self.calls.borrow_mut().push(sentences.to_vec());
            Ok(sentences
                .iter()
                .map(|s| match s.as_str() {
                    "北京" => "Beijing.".to_string(),
                    "巴西利亚" => "巴西利亚".to_string(),
                    "Islamabad" => "伊斯兰堡。".to_string(),
                    "Seattle" => "Seattle".to_string(),
                    "刘化莲说。" => "Liu Baoyan said.".to_string(),
                    "" => String::new(),
                    s => format!("{} chars", s.chars().count()),
                })
                .collect())
        }
    }

    /// `sentences` through a `NewsEngine` around [`Lengths`] in `direction`: the answers,
    /// the sentences of each call to the inner engine, and the signature.
    fn translate(direction: (Lang, Lang), sentences: &[&str]) -> (Vec<String>, Vec<Vec<String>>, String) {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let inner = Lengths {
            direction,
            calls: calls.clone(),
        };
        let mut engine = NewsEngine::new(Box::new(inner));
        let sentences: Vec<String> = sentences.iter().map(|s| s.to_string()).collect();
        let out = engine.translate(&sentences).unwrap();
        let calls = calls.borrow().clone();
        (out, calls, engine.signature())
    }

    #[test]
    fn the_engine_translates_the_rest_and_the_place_once() {
        let (out, calls, signature) = translate(
            (Lang::Zh, Lang::En),
            &[
                "新华社北京7月26日电（记者倪元锦）26日是首日。",
                "没有电头。",
                "新华社北京7月27日电 天气晴。",
                "新华社巴西利亚7月25日电",
                "刘化莲说。",
            ],
        );
        assert_eq!(
            out,
            [
                "Beijing, July 26 (Xinhua, by Ni Yuanjin) -- 9 chars",
                "5 chars",
                "Beijing, July 27 (Xinhua) -- 4 chars",
                // The engine kept the place in Han: it is written in pinyin.
                "Baxiliya, July 25 (Xinhua) --",
                // The engine misread the name: it is mended from the source.
                "Liu Hualian said.",
            ]
        );
        assert_eq!(signature, "lengths|datelines=v1|frames=v1|pinyin-names=source-v2");
        assert_eq!(calls[0], ["北京", "巴西利亚"]);
        assert_eq!(calls[1][..3], ["7月26日是首日。", "没有电头。", "天气晴。"]);
        assert_eq!(calls.len(), 2);
    }

    #[test]
    fn english_datelines_are_written_in_chinese() {
        let (out, calls, signature) = translate(
            (Lang::En, Lang::Zh),
            &[
                "ISLAMABAD (AP) - The president said.",
                "AURORA, Colo. (AP) - A car drove.",
                "SEATTLE - A crowd marched.",
                "July 25 (UPI) -- An outbreak.",
                "No dateline - here.",
            ],
        );
        assert_eq!(
            out,
            [
                "伊斯兰堡（美联社）——19 chars",
                // A place in a US state is kept in English, not translated.
                "科罗拉多州Aurora（美联社）——12 chars",
                // The engine copied the place in Latin letters: it is kept as a name.
                "Seattle——16 chars",
                "7月25日（合众国际社）——12 chars",
                "19 chars",
            ]
        );
        assert_eq!(calls[0], ["Islamabad", "Seattle"]);
        assert_eq!(signature, "lengths|datelines=v1|frames=v1");
        assert_eq!(calls.len(), 2);
    }

    #[test]
    fn quotes_and_credits_are_written_around_the_engines_answer() {
        let (out, calls, _) = translate(
            (Lang::Zh, Lang::En),
            &[
                "“希望水早点退吧。”",
                "中新社北京7月26日电(杨迪)“九曲黄河。”",
                "巴西总统检测结果转阴-新华网",
                "他说：“水退了。”",
            ],
        );
        assert_eq!(
            out,
            [
                "\"8 chars\"",
                "Beijing, July 26 (China News Service, by Yang Di) -- \"5 chars\"",
                "10 chars - Xinhuanet",
                "9 chars",
            ]
        );
        // The engine reads the sentences without their frames.
        assert_eq!(
            calls[1],
            [
                "希望水早点退吧。",
                "九曲黄河。",
                "巴西总统检测结果转阴",
                "他说：“水退了。”"
            ]
        );
    }
}
