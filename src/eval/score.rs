//! A metric's result as sacreBLEU prints it: the signature, the score line and its JSON.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The sacreBLEU release whose scores bitext reproduces. Signatures carry it as
/// `version:2.6.0`, so a bitext signature equals the sacreBLEU one for the same score.
pub const SACREBLEU_VERSION: &str = "2.6.0";

/// A reproducibility signature: `key:value` pairs joined by `|`, version last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(Vec<(&'static str, String)>);

impl Signature {
    /// A signature with `nrefs` first, then `settings`, then `version`, as sacreBLEU orders them.
    pub fn new(nrefs: usize, settings: Vec<(&'static str, String)>) -> Self {
        let mut pairs = vec![("nrefs", nrefs.to_string())];
        pairs.extend(settings);
        pairs.push(("version", SACREBLEU_VERSION.to_string()));
        Signature(pairs)
    }

    /// The `key:value` pairs in order.
    pub fn pairs(&self) -> &[(&'static str, String)] {
        &self.0
    }
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            write!(f, "{key}:{value}")?;
        }
        Ok(())
    }
}

/// A corpus or sentence score, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Metric name as sacreBLEU prints it: `BLEU`, `chrF2`, `chrF2++`.
    pub name: String,
    /// The score, 0 to 100.
    pub score: f64,
    /// The settings that produced it.
    pub signature: Signature,
    /// Details after the score (BLEU's n-gram precisions and brevity penalty).
    pub verbose: Option<String>,
}

impl Report {
    /// sacreBLEU's text line: `BLEU|nrefs:1|…|version:2.6.0 = 32.4 62.3/37.9/… (BP = …)`,
    /// with the score to `width` decimals.
    pub fn text(&self, width: usize) -> String {
        let mut line = format!("{}|{} = {:.width$}", self.name, self.signature, self.score);
        if let Some(verbose) = &self.verbose {
            line.push(' ');
            line.push_str(verbose);
        }
        line
    }

    /// sacreBLEU's JSON object (one-space indent, keys in its order), score to `width` decimals.
    pub fn json(&self, width: usize) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        let result = JsonReport { report: self, width }.serialize(&mut ser);
        debug_assert!(result.is_ok(), "serialising strings and a float cannot fail");
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The same object as [`Report::json`] on a single line (for one score per segment).
    pub fn json_line(&self, width: usize) -> String {
        serde_json::to_string(&JsonReport { report: self, width }).unwrap_or_default()
    }
}

struct JsonReport<'a> {
    report: &'a Report,
    width: usize,
}

impl Serialize for JsonReport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        // sacreBLEU stores float(f"{score:.{width}f}").
        let rounded: f64 = format!("{:.*}", self.width, r.score).parse().unwrap_or(r.score);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &r.name)?;
        map.serialize_entry("score", &rounded)?;
        map.serialize_entry("signature", &r.signature.to_string())?;
        if let Some(verbose) = &r.verbose {
            map.serialize_entry("verbose_score", verbose)?;
        }
        for (key, value) in r.signature.pairs() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
