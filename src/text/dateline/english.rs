//! Datelines of English news (`COSTA MESA, Calif. (AP) -`, `July 25 (UPI) --`) and their
//! Chinese form (`加利福尼亚州科斯塔梅萨（美联社）——`, `7月25日（合众国际社）——`).

use crate::text::ENGLISH_MONTHS;
use regex::Regex;
use std::sync::LazyLock;

/// News agencies whose datelines are recognised, with their Chinese names.
const AGENCIES: &[(&str, &str)] = &[
    ("AP", "美联社"),
    ("Reuters", "路透社"),
    ("AFP", "法新社"),
    ("UPI", "合众国际社"),
    ("CNN", "美国有线电视新闻网"),
    ("Bloomberg", "彭博社"),
    ("Xinhua", "新华社"),
    ("dpa", "德新社"),
    ("Kyodo", "共同社"),
    ("Yonhap", "韩联社"),
    ("TASS", "塔斯社"),
    ("BBC", "英国广播公司"),
];

/// US states as datelines write them (AP style: abbreviated, eight spelled out; `Ca.` too), with
/// their Chinese names. Small models translate the abbreviations poorly or not at all.
const STATES: &[(&str, &str)] = &[
    ("Ala.", "亚拉巴马州"),
    ("Alaska", "阿拉斯加州"),
    ("Ariz.", "亚利桑那州"),
    ("Ark.", "阿肯色州"),
    ("Ca.", "加利福尼亚州"),
    ("Calif.", "加利福尼亚州"),
    ("Colo.", "科罗拉多州"),
    ("Conn.", "康涅狄格州"),
    ("D.C.", "哥伦比亚特区"),
    ("Del.", "特拉华州"),
    ("Fla.", "佛罗里达州"),
    ("Ga.", "佐治亚州"),
    ("Hawaii", "夏威夷州"),
    ("Idaho", "爱达荷州"),
    ("Ill.", "伊利诺伊州"),
    ("Ind.", "印第安纳州"),
    ("Iowa", "艾奥瓦州"),
    ("Kan.", "堪萨斯州"),
    ("Ky.", "肯塔基州"),
    ("La.", "路易斯安那州"),
    ("Maine", "缅因州"),
    ("Md.", "马里兰州"),
    ("Mass.", "马萨诸塞州"),
    ("Mich.", "密歇根州"),
    ("Minn.", "明尼苏达州"),
    ("Miss.", "密西西比州"),
    ("Mo.", "密苏里州"),
    ("Mont.", "蒙大拿州"),
    ("N.C.", "北卡罗来纳州"),
    ("N.D.", "北达科他州"),
    ("N.H.", "新罕布什尔州"),
    ("N.J.", "新泽西州"),
    ("N.M.", "新墨西哥州"),
    ("N.Y.", "纽约州"),
    ("Neb.", "内布拉斯加州"),
    ("Nev.", "内华达州"),
    ("Ohio", "俄亥俄州"),
    ("Okla.", "俄克拉何马州"),
    ("Ore.", "俄勒冈州"),
    ("Pa.", "宾夕法尼亚州"),
    ("R.I.", "罗得岛州"),
    ("S.C.", "南卡罗来纳州"),
    ("S.D.", "南达科他州"),
    ("Tenn.", "田纳西州"),
    ("Texas", "得克萨斯州"),
    ("Utah", "犹他州"),
    ("Va.", "弗吉尼亚州"),
    ("Vt.", "佛蒙特州"),
    ("W.Va.", "西弗吉尼亚州"),
    ("Wash.", "华盛顿州"),
    ("Wis.", "威斯康星州"),
    ("Wyo.", "怀俄明州"),
];

/// Months as AP style abbreviates them in dates; the others are written out.
const MONTH_ABBREVIATIONS: &[(&str, usize)] = &[
    ("Jan.", 1),
    ("Feb.", 2),
    ("Aug.", 8),
    ("Sept.", 9),
    ("Oct.", 10),
    ("Nov.", 11),
    ("Dec.", 12),
];

/// Place in capitals, region, month, day and agency, ended by the agency or a dash. The
/// ending is required, so that a region cannot swallow a month (`WASHINGTON, July 25`).
static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    let agencies: Vec<&str> = AGENCIES.iter().map(|(en, _)| *en).collect();
    let abbreviations: Vec<String> = MONTH_ABBREVIATIONS
        .iter()
        .map(|(m, _)| regex::escape(m))
        .collect();
    let months = format!("{}|{}", ENGLISH_MONTHS.join("|"), abbreviations.join("|"));
    let dash = r"(?:--|—|–|-\s)";
    Regex::new(&format!(
        r"^\s*(?:(?P<place>[A-Z][A-Z'.]*(?:-[A-Z]+)*(?:\s+[A-Z][A-Z'.]*(?:-[A-Z]+)*){{0,3}})(?:,\s+(?P<region>[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*)?))?)?(?:,?\s*(?P<month>{months})\s+(?P<day>\d{{1,2}}))?\s*(?:\((?P<agency>{})\)\s*{dash}?|{dash})\s*",
        agencies.join("|")
    ))
    .expect("the dateline pattern is valid")
});

/// The dateline at the start of an English news sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnglishDateline {
    /// The place, capitalised as a name (`Costa Mesa`) for the engine to translate.
    place: Option<String>,
    /// The region after the place (`Calif.`, `Afghanistan`).
    region: Option<String>,
    month_day: Option<(usize, usize)>,
    agency: Option<&'static str>,
}

impl EnglishDateline {
    /// The dateline that opens `sentence`, if any, and the rest of the sentence. A place
    /// must have three letters or more, so that `US - China talks` is not a dateline.
    pub fn split(sentence: &str) -> Option<(EnglishDateline, &str)> {
        let caps = DATELINE.captures(sentence)?;
        let place = caps.name("place").map(|m| name_case(m.as_str()));
        if place
            .as_ref()
            .is_some_and(|p| p.chars().filter(char::is_ascii_alphabetic).count() < 3)
        {
            return None;
        }
        let month_day = match (caps.name("month"), caps.name("day")) {
            (Some(month), Some(day)) => {
                let month = month_number(month.as_str())?;
                let day: usize = day.as_str().parse().ok()?;
                if !(1..=31).contains(&day) {
                    return None;
                }
                Some((month, day))
            }
            _ => None,
        };
        let agency = caps
            .name("agency")
            .and_then(|m| AGENCIES.iter().find(|(en, _)| *en == m.as_str()))
            .map(|(_, zh)| *zh);
        if place.is_none() && month_day.is_none() && agency.is_none() {
            return None;
        }
        let dateline = EnglishDateline {
            place,
            region: caps.name("region").map(|m| m.as_str().to_string()),
            month_day,
            agency,
        };
        Some((dateline, &sentence[caps[0].len()..]))
    }

    /// The names the caller should translate: the place and its region, except US states,
    /// whose Chinese names bitext knows, and places in a state. A place that needs its
    /// state is a small town, which small models mistranslate (`AURORA, Colo.` came out as
    /// `阿尔卑斯`, the Alps), so it is kept in English.
    pub fn places(&self) -> Vec<&str> {
        match self.state() {
            Some(_) => Vec::new(),
            None => self
                .place
                .as_deref()
                .into_iter()
                .chain(self.region.as_deref())
                .collect(),
        }
    }

    /// The Chinese name of the region when it is a US state.
    fn state(&self) -> Option<&'static str> {
        let region = self.region.as_deref()?;
        STATES.iter().find(|(en, _)| *en == region).map(|(_, zh)| *zh)
    }

    /// The dateline in Chinese news style, given the Chinese names of its places (a name
    /// without one is kept in English): `科罗拉多州Aurora（美联社）——`.
    pub fn chinese(&self, translated: impl Fn(&str) -> Option<String>) -> String {
        let name = |english: &str| translated(english).unwrap_or_else(|| english.to_string());
        let mut out = String::new();
        match self.state() {
            Some(state) => {
                out.push_str(state);
                out.push_str(self.place.as_deref().unwrap_or_default());
            }
            None => {
                out.extend(self.region.as_deref().map(name));
                out.extend(self.place.as_deref().map(name));
            }
        }
        if let Some((month, day)) = self.month_day {
            out.push_str(&format!("{month}月{day}日"));
        }
        if let Some(agency) = self.agency {
            out.push_str(&format!("（{agency}）"));
        }
        out.push_str("——");
        out
    }
}

/// The number of a month written out or abbreviated (`July`, `Sept.`).
fn month_number(month: &str) -> Option<usize> {
    ENGLISH_MONTHS
        .iter()
        .position(|m| *m == month)
        .map(|i| i + 1)
        .or_else(|| {
            MONTH_ABBREVIATIONS
                .iter()
                .find(|(m, _)| *m == month)
                .map(|(_, n)| *n)
        })
}

/// A place written in capitals, as a name: `NEW DELHI` → `New Delhi`, `WILKES-BARRE` →
/// `Wilkes-Barre`.
fn name_case(place: &str) -> String {
    let mut out = String::with_capacity(place.len());
    let mut word_start = true;
    for c in place.chars() {
        match word_start {
            true => out.push(c),
            false => out.extend(c.to_lowercase()),
        }
        word_start = c.is_whitespace() || c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dateline of `sentence` in Chinese with `names` as the engine's translations.
    fn chinese(sentence: &str, names: &[(&str, &str)]) -> (String, String) {
        let (dateline, rest) = EnglishDateline::split(sentence).expect(sentence);
        let head = dateline.chinese(|en| names.iter().find(|(e, _)| *e == en).map(|(_, zh)| zh.to_string()));
        (head, rest.to_string())
    }

    #[test]
    fn place_state_and_agency() {
        let (dateline, rest) =
            EnglishDateline::split("COSTA MESA, Calif. (AP) - The Los Angeles Chargers have signed.")
                .unwrap();
        assert!(dateline.places().is_empty());
        assert_eq!(rest, "The Los Angeles Chargers have signed.");
        assert_eq!(
            dateline.chinese(|p| (p == "Costa Mesa").then(|| "卡萨梅塔".to_string())),
            "加利福尼亚州Costa Mesa（美联社）——"
        );
    }

    #[test]
    fn a_place_alone_and_a_region_that_is_not_a_state() {
        assert_eq!(
            chinese(
                "ISLAMABAD (AP) - The incoming president said.",
                &[("Islamabad", "伊斯兰堡")]
            ),
            (
                "伊斯兰堡（美联社）——".into(),
                "The incoming president said.".into()
            )
        );
        assert_eq!(
            chinese("SEATTLE - After weeks of protests.", &[]),
            ("Seattle——".into(), "After weeks of protests.".into())
        );
        assert_eq!(
            chinese(
                "KABUL, Afghanistan (Reuters) -- Talks began.",
                &[("Kabul", "喀布尔"), ("Afghanistan", "阿富汗")]
            )
            .0,
            "阿富汗喀布尔（路透社）——"
        );
        assert_eq!(chinese("NEW DELHI—Modi will attend.", &[]).0, "New Delhi——");
        assert_eq!(
            chinese("WILKES-BARRE, Pa. (AP) - Snow.", &[]).0,
            "宾夕法尼亚州Wilkes-Barre（美联社）——"
        );
    }

    #[test]
    fn a_date_and_an_agency_without_place() {
        assert_eq!(
            chinese(
                "July 25 (UPI) -- The Centers for Disease Control are investigating.",
                &[]
            ),
            (
                "7月25日（合众国际社）——".into(),
                "The Centers for Disease Control are investigating.".into()
            )
        );
        assert_eq!(
            chinese(
                "WASHINGTON, Sept. 3 (Xinhua) -- The talks ended.",
                &[("Washington", "华盛顿")]
            )
            .0,
            "华盛顿9月3日（新华社）——"
        );
        assert_eq!(
            chinese("(CNN)The storm hit.", &[]),
            ("（美国有线电视新闻网）——".into(), "The storm hit.".into())
        );
    }

    #[test]
    fn sentences_without_a_dateline_are_left_alone() {
        for sentence in [
            "US - China talks resumed.",
            "The city - a port - grew.",
            "COVID-19 cases rose.",
            "NASA said on Monday that it would launch.",
            "- a bullet point",
            "July 25 was hot.",
            "WASHINGTON (Politico) - Unknown agencies are not datelines.",
            "",
        ] {
            assert_eq!(EnglishDateline::split(sentence), None, "{sentence}");
        }
    }
}
