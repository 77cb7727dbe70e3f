//! Chinese personal names in English: their pinyin (`倪元锦` → "Ni Yuanjin"), and the
//! mending of names a model wrote in pinyin but misread (`刘化莲` → "Liu Baoyan").

use crate::text::detect::is_han;
use pinyin::ToPinyin;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

/// Common one-character surnames: the ones a name in the source may start with.
const SURNAMES: &str = concat!(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡",
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷",
    "侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂",
    "章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁",
    "冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄",
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄",
    "丛仲虞敖巩明佘池查麻苑迟邝",
);

/// Surnames read otherwise than their character's first reading (`曾` is Zeng as a
/// surname, ceng elsewhere).
const SURNAME_READINGS: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('仇', "qiu"),
    ('解', "xie"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('乐', "yue"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('翟', "zhai"),
];

/// Two-character surnames, romanised as one word (`欧阳` → "Ouyang").
const DOUBLE_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "司徒", "东方", "皇甫", "令狐", "慕容", "夏侯", "尉迟", "公孙",
];

/// Characters that end a name rather than belong to it: particles, verbs of saying, and
/// characters that start the words a name is often followed by (`继续`, `作为`, `村`).
const NOT_IN_NAMES: &str = "的了在是和与说等将对为从到也都就被把向给让于以及或而但这那有不人年月日时中上下市省县区村镇乡局处长委会院所部厅记者个们该其凭表示介绍指出认为告诉称曾已正还又再一继作并因如据要能可此之后前里内外来去过着很更最";

/// Two capitalised words, as a name in pinyin is written: "Liu Baoyan".
static PINYIN_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([A-Z][a-z]+) ([A-Z][a-z]+)\b").expect("the name pattern is valid"));

/// Three capitalised words, as a model splits a two-syllable given name: "Zhang Ji Ke".
static SPLIT_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([A-Z][a-z]+) ([A-Z][a-z]+) ([A-Z][a-z]+)\b").expect("the name pattern is valid")
});

/// Pinyin syllables without tones (initials times finals: a superset of the real ones).
static SYLLABLES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    const INITIALS: &[&str] = &[
        "", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh", "r", "z",
        "c", "s", "y", "w",
    ];
    const FINALS: &[&str] = &[
        "a", "o", "e", "i", "u", "v", "ai", "ei", "ui", "ao", "ou", "iu", "ie", "ve", "er", "an", "en", "in",
        "un", "vn", "ang", "eng", "ing", "ong", "ia", "iao", "ian", "iang", "iong", "ua", "uo", "uai", "uan",
        "uang", "ue",
    ];
    INITIALS
        .iter()
        .flat_map(|i| FINALS.iter().map(move |f| format!("{i}{f}")))
        .collect()
});

/// Pinyin syllables of `text` without tones, `None` if a character has none.
pub(crate) fn syllables(text: &str) -> Option<Vec<&'static str>> {
    text.to_pinyin().map(|p| p.map(|p| p.plain())).collect()
}

/// `word` with its first letter in upper case.
pub(crate) fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// `c` read as a surname: `曾` → "zeng", where its first reading is ceng.
fn read_as_surname(c: char) -> Option<String> {
    match SURNAME_READINGS.iter().find(|(s, _)| *s == c) {
        Some((_, reading)) => Some(reading.to_string()),
        None => syllables(&c.to_string()).map(|s| s.concat()),
    }
}

/// A Chinese personal name in pinyin, surname first: `倪元锦` → "Ni Yuanjin".
pub fn romanize_name(name: &str) -> Option<String> {
    let surname_len = match DOUBLE_SURNAMES.iter().any(|s| name.starts_with(s)) {
        true => 2,
        false => 1,
    };
    let split = name
        .char_indices()
        .nth(surname_len)
        .map_or(name.len(), |(i, _)| i);
    let (surname, given) = name.split_at(split);
    let surname = match surname_len {
        1 => capitalized(&read_as_surname(surname.chars().next()?)?),
        _ => capitalized(&syllables(surname)?.concat()),
    };
    match given.is_empty() {
        true => Some(surname),
        false => Some(format!("{surname} {}", capitalized(&syllables(given)?.concat()))),
    }
}

/// The reading of `c` as a surname, if it is a common one.
fn surname_reading(c: char) -> Option<String> {
    SURNAMES.contains(c).then(|| read_as_surname(c)).flatten()
}

/// The readings of the common surnames ("wang", "zeng", …).
static SURNAME_SYLLABLES: LazyLock<HashSet<String>> =
    LazyLock::new(|| SURNAMES.chars().filter_map(surname_reading).collect());

/// Whether `word` (lower case) reads as one or two pinyin syllables.
fn one_or_two_syllables(word: &str) -> bool {
    (1..word.len()).any(|i| SYLLABLES.contains(&word[..i]) && SYLLABLES.contains(&word[i..]))
        || SYLLABLES.contains(word)
}

/// A possible name in the source: a common surname and the one or two Han characters after it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    surname: String,
    given: String,
}

/// The possible names of a Chinese sentence, for checking the pinyin names of its translation.
struct SourceNames {
    /// Every surname with one and with two characters after it.
    all: Vec<Candidate>,
    /// Every surname with the given name it most likely has: the Han characters after it,
    /// up to two, stopping at one that ends a name (`周燕继续` → `周燕`).
    likely: Vec<Candidate>,
}

impl SourceNames {
    fn new(source: &str) -> Self {
        let chars: Vec<char> = source.chars().collect();
        let mut names = SourceNames {
            all: Vec::new(),
            likely: Vec::new(),
        };
        for (i, &c) in chars.iter().enumerate() {
            let Some(surname) = surname_reading(c) else {
                continue;
            };
            let after: Vec<char> = chars[i + 1..].iter().take(2).copied().collect();
            let han = after.iter().take_while(|c| is_han(**c)).count();
            let candidate = |given: &[char]| Candidate {
                surname: surname.clone(),
                given: given.iter().collect(),
            };
            for len in 1..=han {
                names.all.push(candidate(&after[..len]));
            }
            let in_name = after[..han]
                .iter()
                .take_while(|c| !NOT_IN_NAMES.contains(**c))
                .count();
            if in_name > 0 {
                names.likely.push(candidate(&after[..in_name]));
            }
        }
        names
    }

    /// "`surname` `first``second`" for a name written "Zhang Ji Ke", when the source has
    /// that surname with a two-character given name read exactly so (`张继科`).
    fn join(&self, surname: &str, first: &str, second: &str) -> Option<String> {
        let (s, g) = (
            surname.to_lowercase(),
            [first.to_lowercase(), second.to_lowercase()],
        );
        let reads =
            |c: &Candidate| c.surname == s && syllables(&c.given).is_some_and(|r| r.len() == 2 && r == g);
        self.all
            .iter()
            .any(reads)
            .then(|| format!("{surname} {first}{}", g[1]))
    }

    /// The name to write for "`surname` `given`" in the translation, when the model misread
    /// it: the source's reading when only one name there has the same surname or the same
    /// given name. `None` keeps the words as written.
    fn mend(&self, surname: &str, given: &str) -> Option<String> {
        let (s, g) = (surname.to_lowercase(), given.to_lowercase());
        if !SURNAME_SYLLABLES.contains(&s) || !one_or_two_syllables(&g) {
            return None;
        }
        let reading = |given: &str| syllables(given).map(|s| s.concat());
        let given_reads = |c: &&Candidate| reading(&c.given).as_deref() == Some(&g);
        if self.all.iter().filter(given_reads).any(|c| c.surname == s) {
            return None;
        }
        let other_surnames: BTreeSet<&String> =
            self.all.iter().filter(given_reads).map(|c| &c.surname).collect();
        if !other_surnames.is_empty() {
            let [other] = other_surnames.into_iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            return Some(format!("{} {given}", capitalized(other)));
        }
        let givens: BTreeSet<&String> = self
            .likely
            .iter()
            .filter(|c| c.surname == s)
            .map(|c| &c.given)
            .collect();
        let [given] = givens.into_iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        Some(format!("{surname} {}", capitalized(&reading(given)?)))
    }
}

/// `translation` with the Chinese names it writes in pinyin but misread put right from
/// `source`: "Liu Baoyan" for `刘化莲` becomes "Liu Hualian", "Wang Jingfan" for `周京帆`
/// becomes "Zhou Jingfan". A name is mended only when its surname or its given name reads
/// as in the source and one name of the source fits; names the source reads exactly, and
/// anything else, are left as they are. A given name split in two ("Zhang Ji Ke" for
/// `张继科`) is written as one word first, when the source reads exactly so.
pub fn mend_names<'a>(source: &str, translation: &'a str) -> Cow<'a, str> {
    if !source.chars().any(|c| SURNAMES.contains(c)) {
        return Cow::Borrowed(translation);
    }
    let names = SourceNames::new(source);
    let joined = SPLIT_NAME.replace_all(translation, |caps: &Captures| {
        names
            .join(&caps[1], &caps[2], &caps[3])
            .unwrap_or_else(|| caps[0].to_string())
    });
    let mended = PINYIN_NAME.replace_all(&joined, |caps: &Captures| {
        names
            .mend(&caps[1], &caps[2])
            .unwrap_or_else(|| caps[0].to_string())
    });
    if let Cow::Owned(mended) = mended {
        return Cow::Owned(mended);
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surnames_are_read_as_surnames() {
        assert_eq!(romanize_name("曾光").as_deref(), Some("Zeng Guang"));
        assert_eq!(romanize_name("单曾").as_deref(), Some("Shan Ceng"));
        assert_eq!(romanize_name("司马光").as_deref(), Some("Sima Guang"));
    }

    #[test]
    fn a_misread_given_name_takes_the_source_reading() {
        assert_eq!(
            mend_names("友谊农场场长刘化莲说。", "said Liu Baoyan, head of the farm."),
            "said Liu Hualian, head of the farm."
        );
        // The name ends where a word it is often followed by starts (`继续`).
        assert_eq!(
            mend_names("周燕继续收拾。", "Zhou Yu kept tidying."),
            "Zhou Yan kept tidying."
        );
    }

    #[test]
    fn a_misread_surname_takes_the_source_reading() {
        assert_eq!(
            mend_names("周京帆说。", "Wang Jingfan said."),
            "Zhou Jingfan said."
        );
        assert_eq!(mend_names("张雄说。", "Tong Xiong said."), "Zhang Xiong said.");
        assert_eq!(mend_names("曾光说。", "Tong Guang said."), "Zeng Guang said.");
    }

    #[test]
    fn a_given_name_split_in_two_is_one_word() {
        assert_eq!(
            mend_names(
                "运动领队张继科和张鑫栋同台。",
                "Team leader Zhang Ji Ke and Zhang Xin Dong shared the stage."
            ),
            "Team leader Zhang Jike and Zhang Xindong shared the stage."
        );
        // Joined, then mended like any two-word name: 王丽丽 read as "Wang Li Li".
        assert_eq!(mend_names("王丽丽说。", "Wang Li Li said."), "Wang Lili said.");
        // Three words that the source does not read so are kept.
        for (source, translation) in [
            ("张继科说。", "Zhang Ji Kang said."),
            ("马鞍山的张继科。", "Ma On Shan Road."),
            ("上海的春天。", "Shang Hai Spring."),
        ] {
            assert_eq!(mend_names(source, translation), translation, "{source}");
        }
    }

    #[test]
    fn names_read_as_in_the_source_and_other_words_are_kept() {
        for (source, translation) in [
            ("王思硕说。", "Wang Sishuo said."),
            // One character of a three-character name, as some models write it: not a misreading.
            ("张继科说。", "Zhang Ji said."),
            ("香港的洪水。", "Floods in Hong Kong."),
            ("没有人名。", "Liu Baoyan said."),
            (
                "王思硕和王丽丽说。",
                "Wang Lili and Wang Sishuo said; Wang Lin did not.",
            ),
            ("李明说。", "The Long March."),
        ] {
            assert_eq!(mend_names(source, translation), translation, "{source}");
        }
    }
}
