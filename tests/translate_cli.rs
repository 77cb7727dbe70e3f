//! `bitext translate` end to end with the tiny fixture models: with `--no-news-rules` it
//! must print what HF transformers generated (golden.json), it must keep input order and
//! line structure, and fail with one clear line when the model or an input is missing.

mod common;

use serde::Deserialize;
use std::process::{Command, Output};

#[derive(Deserialize)]
struct Golden {
    max_new_tokens: usize,
    inputs: Vec<String>,
    greedy_strings: Vec<String>,
    beam4_strings: Vec<String>,
}

fn golden(name: &str) -> Golden {
    let path = common::fixture(&format!("marian/{name}/golden.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The golden inputs without the target-language token (bitext adds it itself).
fn plain_inputs(g: &Golden) -> Vec<String> {
    g.inputs
        .iter()
        .map(|s| s.strip_prefix(">>cmn_Hans<< ").unwrap_or(s).to_string())
        .collect()
}

/// `bitext translate --from FROM` with fixture `name` and the golden run's decoding
/// settings, news rules on; the caller adds the rest.
fn translate_command(name: &str, from: &str, g: &Golden) -> Command {
    let mut command = common::bitext();
    command
        .args(["translate", "--from", from, "--lines", "--no-repeat-ngram", "0"])
        .args(["--length-cap", "1000,1000", "--max-new-tokens"])
        .arg(g.max_new_tokens.to_string())
        .arg("--model-dir")
        .arg(common::fixture(&format!("marian/{name}")));
    command
}

/// Runs `bitext translate` on the fixture as the golden run decoded, the engine's own
/// answers (`--no-news-rules`).
fn translate(name: &str, from: &str, g: &Golden, extra: &[&str], input: &std::path::Path) -> Output {
    translate_command(name, from, g)
        .arg("--no-news-rules")
        .args(extra)
        .arg(input)
        .output()
        .unwrap()
}

/// [`translate_command`] from Chinese with the tiny zh-en fixture.
fn translate_zh(g: &Golden) -> Command {
    translate_command("tiny-zh-en", "zh", g)
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn greedy_and_beam_output_equal_hf_generate_line_by_line() {
    for (name, from) in [("tiny-en-zh", "en"), ("tiny-zh-en", "zh")] {
        let g = golden(name);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        std::fs::write(&input, plain_inputs(&g).join("\n")).unwrap();
        let greedy = translate(name, from, &g, &["--batch-size", "6"], &input);
        assert_eq!(stdout_lines(&greedy), g.greedy_strings, "{name} greedy");
        let beam = translate(name, from, &g, &["--beam", "4", "--batch-size", "3"], &input);
        assert_eq!(stdout_lines(&beam), g.beam4_strings, "{name} beam 4");
    }
}

/// Without `--no-news-rules` a credited headline gets its credit by rule and the engine
/// translates the rest: the fixture's first zh line ends in `-新华网`.
#[test]
fn news_rules_write_a_headlines_credit() {
    let g = golden("tiny-zh-en");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let inputs = plain_inputs(&g);
    assert!(inputs[0].ends_with("-新华网"), "{}", inputs[0]);
    std::fs::write(&input, &inputs[0]).unwrap();
    let out = translate_zh(&g).arg(&input).output().unwrap();
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].ends_with(" - Xinhuanet"), "{}", lines[0]);
    assert_ne!(lines[0], g.greedy_strings[0]);
}

#[test]
fn empty_lines_keep_their_place_and_stdin_works() {
    let g = golden("tiny-zh-en");
    let inputs = plain_inputs(&g);
    // Lines 1 and 2: line 0 is a headline whose credit is written by rule.
    let text = format!("{}\n\n{}\n", inputs[1], inputs[2]);
    let mut child = translate_zh(&g)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        stdout_lines(&out),
        vec![
            g.greedy_strings[1].clone(),
            String::new(),
            g.greedy_strings[2].clone()
        ]
    );
}

#[test]
fn a_missing_input_is_reported_and_the_others_are_still_translated() {
    let g = golden("tiny-zh-en");
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, &plain_inputs(&g)[1]).unwrap();
    let missing = dir.path().join("missing.txt");
    let out = translate_zh(&g).arg(&missing).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("bitext: {}:", missing.display())),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        g.greedy_strings[1]
    );
}

#[test]
fn a_missing_model_directory_is_a_one_line_error_with_exit_2() {
    let out = common::bitext()
        .args([
            "translate",
            "--from",
            "en",
            "--model-dir",
            "/nonexistent/model",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/model"), "{stderr}");
}

#[test]
fn an_uncached_hub_model_offline_says_how_to_supply_the_files() {
    let home = tempfile::tempdir().unwrap();
    let out = common::bitext()
        .args(["translate", "--from", "en", "--to", "zh", "-"])
        .env("HF_HOME", home.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Helsinki-NLP/opus-mt-en-zh"), "{stderr}");
    assert!(stderr.contains("--model-dir"), "{stderr}");
}

#[test]
fn a_broken_config_is_a_one_line_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.safetensors", "source.spm", "target.spm", "vocab.json"] {
        std::fs::copy(
            common::fixture(&format!("marian/tiny-en-zh/{f}")),
            dir.path().join(f),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("config.json"), "{\"d_model\": 36").unwrap();
    let out = common::bitext()
        .args(["translate", "--from", "en", "--model-dir"])
        .arg(dir.path())
        .arg("-")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&dir.path().join("config.json").display().to_string()),
        "{stderr}"
    );
}
