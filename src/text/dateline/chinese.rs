//! Datelines of Chinese news (`新华社北京7月26日电（记者倪元锦）`) and their English form
//! (`Beijing, July 26 (Xinhua, by Ni Yuanjin) --`).

use crate::text::detect::is_han;
use crate::text::names::{capitalized, romanize_name, syllables};
use crate::text::ENGLISH_MONTHS;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Chinese news agencies and sites, with the name English wires give them: the ones whose
/// datelines are recognised, and that headlines are credited to ([`crate::text::frame`]).
/// A name that starts with another comes before it (`中新网客户端`, its app, before `中新网`).
pub const AGENCIES: &[(&str, &str)] = &[
    ("新华社", "Xinhua"),
    ("新华网", "Xinhuanet"),
    ("中新社", "China News Service"),
    ("中新网客户端", "Chinanews.com"),
    ("中新网", "Chinanews.com"),
    ("中国新闻网", "Chinanews.com"),
    ("人民网", "People's Daily Online"),
    ("央视网", "CCTV.com"),
    ("国际在线", "CRI Online"),
    ("环球网", "Huanqiu.com"),
    ("光明网", "Guangming Online"),
    ("中国日报网", "Chinadaily.com.cn"),
];

/// Roles written before the names of a byline; English bylines leave them out.
/// Longer roles first, so that `实习记者` is not read as `实习` + `记者`.
const ROLES: &[&str] = &["实习记者", "特约记者", "见习记者", "记者", "通讯员", "实习生"];

/// Agency, place, month, day, and the parenthesis after `电`, if any.
static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    let agencies: Vec<&str> = AGENCIES.iter().map(|(zh, _)| *zh).collect();
    Regex::new(&format!(
        r"^\s*({})(\p{{Han}}{{0,8}}?)(\d{{1,2}})月(\d{{1,2}})日[电讯]\s*(?:[（(]([^（）()]{{1,40}})[）)])?\s*",
        agencies.join("|")
    ))
    .expect("the dateline pattern is valid")
});

/// A day of the month written without its month (`25日`), with the character before it,
/// and `内` after it, which makes it a span of days (`7日内`, within 7 days).
static BARE_DAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^\d月])(\d{1,2})日(内)?").expect("the day pattern is valid"));

/// The dateline at the start of a Chinese news sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChineseDateline {
    agency: &'static str,
    place: Option<String>,
    month: usize,
    day: usize,
    byline: Vec<String>,
}

impl ChineseDateline {
    /// The dateline that opens `sentence`, if any, and the rest of the sentence. A
    /// parenthesis after the date is read as the byline only when it holds names (with
    /// their roles); anything else stays in the rest.
    pub fn split(sentence: &str) -> Option<(ChineseDateline, &str)> {
        let caps = DATELINE.captures(sentence)?;
        let agency = AGENCIES.iter().find(|(zh, _)| *zh == &caps[1])?.1;
        let month: usize = caps[3].parse().ok()?;
        let day: usize = caps[4].parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let place = Some(caps[2].to_string()).filter(|p| !p.is_empty());
        let (byline, end) = match caps.get(5).and_then(|m| byline_names(m.as_str())) {
            Some(names) => (names, caps[0].len()),
            None => {
                // Without a byline the rest starts right after `电`/`讯` and its spaces.
                let date_end = caps.get(4).map_or(0, |m| m.end()) + "日电".len();
                let spaces = sentence[date_end..].len() - sentence[date_end..].trim_start().len();
                (Vec::new(), date_end + spaces)
            }
        };
        let dateline = ChineseDateline {
            agency,
            place,
            month,
            day,
            byline,
        };
        Some((dateline, &sentence[end..]))
    }

    /// `rest` with every day of the dateline's month that it writes without its month
    /// (`25日`, on or before the dateline's day) written with it (`7月25日`). Without the
    /// dateline the model cannot know the month, and writes a weekday or guesses one.
    pub fn dated<'a>(&self, rest: &'a str) -> Cow<'a, str> {
        BARE_DAY.replace_all(rest, |caps: &Captures| {
            let day: usize = caps[2].parse().unwrap_or(0);
            match caps.get(3).is_none() && (1..=self.day).contains(&day) {
                true => format!("{}{}月{day}日", &caps[1], self.month),
                false => caps[0].to_string(),
            }
        })
    }

    /// The place the dateline names, in Chinese (`北京`), for the caller to translate.
    pub fn place(&self) -> Option<&str> {
        self.place.as_deref()
    }

    /// The dateline in English wire style, given the place's English name:
    /// `Beijing, July 26 (Xinhua, by Ni Yuanjin and Bai Yu) --`. A place without an
    /// English name is written in pinyin.
    pub fn english(&self, place: Option<&str>) -> String {
        let mut out = String::new();
        let place = place
            .map(str::to_string)
            .or_else(|| self.place.as_deref().and_then(romanize_place));
        if let Some(place) = place {
            out.push_str(&place);
            out.push_str(", ");
        }
        out.push_str(&format!(
            "{} {} ({}",
            ENGLISH_MONTHS[self.month - 1],
            self.day,
            self.agency
        ));
        let names: Vec<String> = self.byline.iter().filter_map(|n| romanize_name(n)).collect();
        if let Some((last, first)) = names.split_last() {
            out.push_str(", by ");
            if !first.is_empty() {
                out.push_str(&first.join(", "));
                out.push_str(" and ");
            }
            out.push_str(last);
        }
        out.push_str(") --");
        out
    }
}

/// The names of a byline (`记者毛思倩、白瑜` → `毛思倩`, `白瑜`), or `None` when the
/// parenthesis holds anything but names of two to four Han characters and their roles.
fn byline_names(text: &str) -> Option<Vec<String>> {
    let mut text = text.to_string();
    for role in ROLES {
        text = text.replace(role, "、");
    }
    let names: Vec<String> = text
        .split(['、', '，', ',', ' ', '　'])
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    let is_name = |n: &String| {
        let count = n.chars().count();
        (2..=4).contains(&count) && n.chars().all(is_han) && romanize_name(n).is_some()
    };
    (!names.is_empty() && names.iter().all(is_name)).then_some(names)
}

/// A Chinese place name in pinyin, as one word: `石家庄` → "Shijiazhuang".
fn romanize_place(place: &str) -> Option<String> {
    Some(capitalized(&syllables(place)?.concat()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_xinhua_dateline_with_reporters_is_split_off() {
        let (dateline, rest) =
            ChineseDateline::split("新华社深圳7月26日电（记者毛思倩、白瑜）鼓励居民勤做体检。").unwrap();
        assert_eq!(rest, "鼓励居民勤做体检。");
        assert_eq!(dateline.place(), Some("深圳"));
        assert_eq!(
            dateline.english(Some("Shenzhen")),
            "Shenzhen, July 26 (Xinhua, by Mao Siqian and Bai Yu) --"
        );
    }

    #[test]
    fn roles_are_dropped_and_ascii_parentheses_read() {
        let (dateline, rest) =
            ChineseDateline::split("新华社北京7月26日电(记者胡璐 通讯员李明)26日，长江洪水形成。").unwrap();
        assert_eq!(rest, "26日，长江洪水形成。");
        assert_eq!(
            dateline.english(Some("Beijing")),
            "Beijing, July 26 (Xinhua, by Hu Lu and Li Ming) --"
        );
    }

    #[test]
    fn three_names_are_listed_with_commas() {
        let (dateline, _) =
            ChineseDateline::split("新华社南昌7月26日电（郭冬明、熊亮、欧阳文）江西省。").unwrap();
        assert_eq!(
            dateline.english(None),
            "Nanchang, July 26 (Xinhua, by Guo Dongming, Xiong Liang and Ouyang Wen) --"
        );
    }

    #[test]
    fn a_dateline_without_place_or_byline_keeps_the_rest_whole() {
        let (dateline, rest) = ChineseDateline::split("中新网7月26日电 据外媒报道，飓风登陆。").unwrap();
        assert_eq!(dateline.place(), None);
        assert_eq!(rest, "据外媒报道，飓风登陆。");
        assert_eq!(dateline.english(None), "July 26 (Chinanews.com) --");
        let (dateline, rest) = ChineseDateline::split("中新网客户端7月26日电 据官方消息。").unwrap();
        assert_eq!((dateline.place(), rest), (None, "据官方消息。"));
    }

    #[test]
    fn a_parenthesis_that_is_not_a_byline_stays_in_the_rest() {
        let (dateline, rest) =
            ChineseDateline::split("新华社北京7月26日电（2020年第3号洪水）长江洪水形成。").unwrap();
        assert_eq!(rest, "（2020年第3号洪水）长江洪水形成。");
        assert_eq!(dateline.english(Some("Beijing")), "Beijing, July 26 (Xinhua) --");
    }

    #[test]
    fn days_of_the_dateline_month_get_their_month() {
        let (dateline, rest) =
            ChineseDateline::split("新华社北京7月26日电 25日，26日上午和7月24日，28日将举行，7日内完成。")
                .unwrap();
        assert_eq!(
            dateline.dated(rest),
            "7月25日，7月26日上午和7月24日，28日将举行，7日内完成。"
        );
        assert_eq!(dateline.dated("没有日期。"), "没有日期。");
    }

    #[test]
    fn sentences_without_a_dateline_are_left_alone() {
        for sentence in [
            "7月26日是今年的“中伏”首日。",
            "据新华社7月26日报道，长江洪水形成。",
            "新华社北京13月26日电 不是日期。",
            "新华社",
            "",
        ] {
            assert_eq!(ChineseDateline::split(sentence), None, "{sentence}");
        }
    }
}
