//! An engine wrapper that writes Chinese news datelines by rule (see
//! [`crate::text::dateline`]) and has the engine translate the dateline's place name and
//! the rest of the sentence, its bare days of the month given their month.

use super::{collect_each, in_context, Engine, EngineStats, InContext, Verdict};
use crate::text::dateline::Dateline;
use crate::text::detect::is_han;
use crate::text::Lang;
use std::collections::BTreeMap;

/// A zh→en engine that translates datelines by rule and the rest with `inner`.
pub struct DatelineEngine {
    inner: Box<dyn Engine>,
    /// English names of the places translated so far; a place is translated once.
    places: BTreeMap<String, Option<String>>,
    /// Place names the inner engine translated, which its stats count as sentences.
    place_rows: usize,
}

impl DatelineEngine {
    /// Wraps `inner`, which must translate Chinese into English.
    pub fn new(inner: Box<dyn Engine>) -> Self {
        debug_assert_eq!(inner.direction(), (Lang::Zh, Lang::En));
        DatelineEngine {
            inner,
            places: BTreeMap::new(),
            place_rows: 0,
        }
    }

    /// Translates the places of `datelines` that have no English name yet, in one call.
    fn translate_places<'a>(&mut self, datelines: impl Iterator<Item = &'a Dateline>) -> anyhow::Result<()> {
        let mut new: Vec<String> = datelines
            .filter_map(Dateline::place)
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
        for (place, (answer, verdict)) in new.into_iter().zip(answers) {
            let name = place_name(&answer).filter(|_| verdict.accepted() != Some(false));
            self.places.insert(place, name);
        }
        Ok(())
    }
}

/// The engine's answer for a place name, as a dateline writes it, or `None` when it is not
/// a name (empty, Han left in it, or a sentence).
fn place_name(answer: &str) -> Option<String> {
    let name = answer
        .trim()
        .trim_end_matches(['.', '。'])
        .trim_matches(['"', '“', '”'])
        .trim();
    let words = name.split_whitespace().count();
    (!name.is_empty() && words <= 4 && !name.chars().any(is_han) && !name.contains(['(', ')']))
        .then(|| name.to_string())
}

impl Engine for DatelineEngine {
    fn direction(&self) -> (Lang, Lang) {
        self.inner.direction()
    }

    fn signature(&self) -> String {
        format!("{}|datelines=v1", self.inner.signature())
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
        let split: Vec<Option<(Dateline, &str)>> =
            items.iter().map(|item| Dateline::split(&item.sentence)).collect();
        self.translate_places(split.iter().flatten().map(|(d, _)| d))?;
        let rests: Vec<InContext> = items
            .iter()
            .zip(&split)
            .map(|(item, split)| InContext {
                sentence: match split {
                    Some((dateline, rest)) => dateline.dated(rest).into_owned(),
                    None => item.sentence.clone(),
                },
                context: item.context.clone(),
            })
            .collect();
        let places = &self.places;
        self.inner.translate_each(&rests, &mut |i, (text, verdict)| {
            let Some((dateline, _)) = &split[i] else {
                return done(i, (text, verdict));
            };
            let place = dateline
                .place()
                .and_then(|p| places.get(p))
                .and_then(Option::as_deref);
            let head = dateline.english(place);
            let text = match text.is_empty() {
                true => head,
                false => format!("{head} {text}"),
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

    /// Answers every sentence with its length in characters, "Beijing." for `北京`, and
    /// keeps the sentences of each call.
    struct Lengths {
        calls: Rc<RefCell<Vec<Vec<String>>>>,
    }

    impl Engine for Lengths {
        fn direction(&self) -> (Lang, Lang) {
            (Lang::Zh, Lang::En)
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
                    "" => String::new(),
                    s => format!("{} chars", s.chars().count()),
                })
                .collect())
        }
    }

    #[test]
    fn the_engine_translates_the_rest_and_the_place_once() {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let inner = Lengths { calls: calls.clone() };
        let mut engine = DatelineEngine::new(Box::new(inner));
        let sentences: Vec<String> = [
            "新华社北京7月26日电（记者倪元锦）26日是首日。",
            "没有电头。",
            "新华社北京7月27日电 天气晴。",
            "新华社巴西利亚7月25日电",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = engine.translate(&sentences).unwrap();
        assert_eq!(
            out,
            [
                "Beijing, July 26 (Xinhua, by Ni Yuanjin) -- 9 chars",
                "5 chars",
                "Beijing, July 27 (Xinhua) -- 4 chars",
                // The engine kept the place in Han: it is written in pinyin.
                "Baxiliya, July 25 (Xinhua) --",
            ]
        );
        assert!(engine.signature().starts_with("lengths|datelines="));
        let calls = calls.borrow();
        assert_eq!(calls[0], ["北京", "巴西利亚"]);
        assert_eq!(calls[1][..3], ["7月26日是首日。", "没有电头。", "天气晴。"]);
        assert_eq!(calls.len(), 2);
    }
}
