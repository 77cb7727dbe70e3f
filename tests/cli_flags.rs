//! One name for one thing: the flags several subcommands share have one spelling and
//! the same `--help` text in each of them.

use bitext::cli::Cli;
use clap::CommandFactory;
use std::collections::BTreeMap;

/// Each shared flag and the subcommands that take it.
const SHARED: &[(&str, &[&str])] = &[
    ("engine", &["run", "translate", "align"]),
    ("model", &["run", "translate", "align"]),
    ("model-dir", &["run", "translate", "align"]),
    ("model-file", &["run", "translate", "align"]),
    ("beam", &["run", "translate", "align"]),
    ("batch-size", &["run", "translate", "align"]),
    ("length-cap", &["run", "translate", "align"]),
    ("dtype", &["run", "translate", "align"]),
    ("threads", &["run", "translate", "align", "embed"]),
    ("device", &["run", "translate", "align", "embed"]),
    ("embed-model", &["align", "embed"]),
];

/// Long flag name → help text of every argument of `subcommand`.
fn flags(subcommand: &str) -> BTreeMap<String, String> {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(subcommand)
        .unwrap_or_else(|| panic!("no subcommand {subcommand}"));
    sub.get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?.to_string();
            let help = a
                .get_long_help()
                .or(a.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            Some((long, help))
        })
        .collect()
}

#[test]
fn shared_flags_exist_with_one_help_text_everywhere() {
    for (flag, subcommands) in SHARED {
        let helps: Vec<(&str, String)> = subcommands
            .iter()
            .map(|sub| {
                let help = flags(sub)
                    .remove(*flag)
                    .unwrap_or_else(|| panic!("`bitext {sub}` has no --{flag}"));
                (*sub, help)
            })
            .collect();
        assert!(!helps[0].1.is_empty(), "--{flag} has no help text");
        for (sub, help) in &helps[1..] {
            assert_eq!(
                help, &helps[0].1,
                "--{flag}: `bitext {sub}` and `bitext {}` differ",
                helps[0].0
            );
        }
    }
}

#[test]
fn old_spellings_still_parse() {
    use clap::Parser;
    // `bitext align --embed=MODEL` predates --embed-model; `bitext run --format` is --formats.
    let align = ["bitext", "align", "a.txt", "b.txt", "--embed=labse"];
    assert!(Cli::try_parse_from(align).is_ok());
    let run = ["bitext", "run", "in", "-o", "out", "--format", "tsv"];
    assert!(Cli::try_parse_from(run).is_ok());
    let embed = [
        "bitext",
        "embed",
        "lines.txt",
        "--embed-model",
        "labse",
        "--threads",
        "0",
    ];
    assert!(Cli::try_parse_from(embed).is_ok());
}

#[test]
fn the_clap_definition_is_consistent() {
    Cli::command().debug_assert();
}
