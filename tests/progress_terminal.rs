//! The progress bar as a person sees it: `bitext run` in a real terminal (a detached
//! tmux pane, 120 columns), its screen captured every 50 ms while it runs. Skipped,
//! with a notice, where tmux is not installed.

mod common;

use common::{bitext, fixture};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Articles: every example sentence made distinct per copy (the run translates each
/// distinct sentence once), and one binary file that the run reports and skips.
fn write_input(dir: &Path, copies: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/en");
    for entry in std::fs::read_dir(examples).unwrap() {
        let entry = entry.unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for copy in 0..copies {
            let numbered: String = text
                .lines()
                .map(|line| match line.trim() {
                    "" => "\n".to_string(),
                    // Every sentence of the line, not only its first, made distinct.
                    _ => format!(
                        "In report {copy}, {}\n",
                        line.replace(". ", &format!(". Report {copy} adds: "))
                    ),
                })
                .collect();
            let name = format!("{copy}-{}", entry.file_name().to_string_lossy());
            std::fs::write(dir.join(name), numbered).unwrap();
        }
    }
    std::fs::write(dir.join("broken.txt"), b"bad\0file").unwrap();
}

/// The `done/total` of a bar line such as `███░░ 120/450 sentences (…)`.
fn bar_counts(line: &str) -> Option<(usize, usize)> {
    let before = line
        .split(" sentences (")
        .next()
        .filter(|_| line.contains(" sentences ("))?;
    let (done, total) = before.rsplit(' ').next()?.split_once('/')?;
    Some((done.parse().ok()?, total.parse().ok()?))
}

/// A tmux server of its own, killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    fn screen(&self) -> Option<String> {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "run"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

#[test]
fn the_bar_moves_in_a_terminal_and_log_lines_stay_above_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (the bar needs a terminal to be drawn)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    write_input(&input, 30);
    let finished = dir.path().join("finished");
    let run = format!(
        "'{}' run '{}' -o '{}' --to zh --model-dir '{}' --no-score --batch-size 8; touch '{}'; sleep 600",
        bitext().get_program().to_string_lossy(),
        input.display(),
        out.display(),
        fixture("marian/tiny-en-zh").display(),
        finished.display(),
    );
    let tmux = Tmux {
        socket: format!("bitext-test-{}", std::process::id()),
    };
    let started = tmux
        .command()
        .args(["new-session", "-d", "-s", "run", "-x", "120", "-y", "30", &run])
        .status()
        .unwrap();
    assert!(started.success(), "tmux could not start a session");

    let deadline = Instant::now() + Duration::from_secs(300);
    let mut screens = Vec::new();
    while !finished.exists() {
        assert!(Instant::now() < deadline, "the run did not finish in 300 s");
        screens.extend(tmux.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    let last = tmux.screen().expect("the pane stays open after the run");

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let total = manifest["totals"]["sentences"].as_u64().unwrap() as usize;
    assert_eq!(
        manifest["totals"]["engine_sentences"].as_u64(),
        Some(total as u64)
    );
    let mut seen = Vec::new();
    for screen in &screens {
        let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
        let bars: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains(" sentences ("))
            .collect();
        assert!(bars.len() <= 1, "more than one bar line on the screen:\n{screen}");
        if let Some(bar) = bars.first() {
            // One clean line: nothing logged is written into it, and it is the last line.
            assert_eq!(
                Some(bar),
                lines.last(),
                "the bar is not the bottom line:\n{screen}"
            );
            assert!(!bar.contains("bitext:") && !bar.contains("WARN"), "{screen}");
            assert!(bar.contains("ETA"), "no ETA on the bar: {bar}");
            if let Some((done, expected)) = bar_counts(bar) {
                seen.push(done);
                assert!(done <= expected, "{bar}");
            }
        }
        // The unreadable file's error line, once shown, is whole and above the bar.
        if let Some(line) = lines.iter().find(|l| l.contains("broken.txt")) {
            assert!(
                line.starts_with("bitext: ") && line.ends_with("(NUL byte at offset 3)"),
                "{screen}"
            );
        }
    }
    let moves = seen.windows(2).filter(|w| w[1] > w[0]).count();
    assert!(
        seen.windows(2).all(|w| w[1] >= w[0]),
        "the sentence count went back: {seen:?}"
    );
    assert!(
        seen.iter().any(|&done| done > 0 && done < total) && moves >= 2,
        "the bar was not seen moving during the run ({} captures, counts {seen:?})",
        screens.len()
    );
    // At the end the bar is gone and the closing lines report every sentence.
    assert!(
        !last.contains(" sentences ("),
        "the bar outlived the run:\n{last}"
    );
    assert!(last.contains(&format!("{total} sentences")), "{last}");
}
