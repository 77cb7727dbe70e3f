//! The Slurm recipe of docs/scale.md (`scripts/slurm/submit.sh`) on a real
//! cluster: four shard tasks with the tiny Marian model, one of them cancelled
//! mid-run; the merge after the array refuses the incomplete set, the cancelled
//! task resubmitted resumes from its cache, and the merge after it gives a corpus
//! byte-identical to an unsharded run's. Skipped, with a notice, when no Slurm
//! cluster answers (`scripts/slurm/cluster.sh start` starts one on this machine).

mod common;

use common::{bitext, fixture, outputs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any one job may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(180);

/// Settings shared by the shards and the reference run: one sentence per batch, so
/// the shards' batches equal the unsharded run's, and many batches to cancel between.
const FLAGS: [&str; 5] = ["--batch-size", "1", "--threads", "1", "--quiet"];

/// The configuration the Slurm commands read: `SLURM_CONF`, else the one
/// `cluster.sh` writes, else Debian's.
fn slurm_conf() -> PathBuf {
    if let Some(conf) = std::env::var_os("SLURM_CONF") {
        return conf.into();
    }
    let dir = std::env::var_os("BITEXT_SLURM_DIR").map_or_else(|| "/tmp/bitext-slurm".into(), PathBuf::from);
    let ours = dir.join("slurm.conf");
    if ours.is_file() {
        ours
    } else {
        "/etc/slurm/slurm.conf".into()
    }
}

/// A Slurm command reading [`slurm_conf`].
fn slurm(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("SLURM_CONF", slurm_conf());
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// True when a cluster answers within ten seconds with a node that can take jobs.
/// (Without a configuration file, `sinfo` would retry for a minute.)
fn cluster_answers() -> bool {
    let answer = slurm_conf().is_file().then(|| {
        let mut sinfo = slurm("timeout");
        sinfo.args(["10", "sinfo", "-h", "-o", "%t"]).output()
    });
    let up = answer.is_some_and(|o| {
        o.is_ok_and(|o| {
            let states = String::from_utf8_lossy(&o.stdout).into_owned();
            o.status.success() && ["idle", "mix", "alloc"].iter().any(|s| states.contains(s))
        })
    });
    if !up {
        eprintln!("SKIPPED: no Slurm cluster answers (start one with `scripts/slurm/cluster.sh start`)");
    }
    up
}

/// Eighty short English articles: about 120 sentences per shard.
fn input_folder(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..80 {
        let text = format!(
            "Council report {i}\n\nThe council met on day {i} to discuss the city budget. \
             Members voted {} times before lunch. The mayor spoke for {} minutes.\n\n\
             The next meeting is planned for week {}. Reporting by our staff.",
            i % 7 + 2,
            i % 11 + 3,
            i % 5 + 1
        );
        std::fs::write(input.join(format!("r{i:02}.txt")), text).unwrap();
    }
    input
}

/// Runs `scripts/slurm/submit.sh` and returns the (array, merge) job ids.
fn submit(input: &Path, out: &Path, tasks: Option<&str>) -> (String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm/submit.sh");
    let mut cmd = slurm("bash");
    cmd.arg(script).arg(input).arg(out).arg("4");
    cmd.args(tasks)
        .arg("--")
        .args(FLAGS)
        .args(["--model-dir"])
        .arg(fixture("marian/tiny-en-zh"));
    cmd.env("BITEXT", env!("CARGO_BIN_EXE_bitext"));
    let output = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "array job 12 (shards 0-3 of 4), merge job 13"
    let words: Vec<&str> = text.split_whitespace().collect();
    (words[2].to_string(), words[words.len() - 1].to_string())
}

/// The state of a job (`COMPLETED`, `FAILED`, `RUNNING`...), or `None` once Slurm
/// has forgotten it.
fn job_state(id: &str) -> Option<String> {
    let text = stdout_of(slurm("scontrol").args(["show", "job", "-o", id]));
    let state = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("JobState="))?;
    Some(state.to_string())
}

/// Waits until job `id` has ended and returns its final state.
fn wait_for_end(id: &str, logs: &Path) -> String {
    let start = Instant::now();
    loop {
        match job_state(id) {
            None => return "FORGOTTEN".into(),
            Some(s)
                if !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED"].contains(&s.as_str()) =>
            {
                return s
            }
            Some(_) if start.elapsed() > PATIENCE => {
                let _ = slurm("scancel").arg(id).status();
                panic!(
                    "job {id} did not end within {PATIENCE:?}; logs in {}",
                    logs.display()
                );
            }
            Some(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// The log of the merge job `id`.
fn merge_log(out: &Path, id: &str) -> String {
    std::fs::read_to_string(out.join(format!("logs/merge-job-{id}.log"))).unwrap_or_default()
}

#[test]
fn the_slurm_recipe_survives_a_cancelled_task_and_merges_into_the_unsharded_run() {
    if !cluster_answers() {
        return;
    }
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let input = input_folder(dir.path());
    let whole = dir.path().join("whole");
    let reference = bitext()
        .arg("run")
        .arg(&input)
        .arg("-o")
        .arg(&whole)
        .args(FLAGS)
        .arg("--model-dir")
        .arg(fixture("marian/tiny-en-zh"))
        .output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );

    let out = dir.path().join("out");
    let (array, merge) = submit(&input, &out, None);
    // Cancel shard 2 once it has cached some batches, before it finishes.
    let shard = out.join("shard-2");
    let cache = shard.join(".bitext/cache.jsonl");
    let waiting = Instant::now();
    while std::fs::metadata(&cache).map_or(0, |m| m.len()) == 0 {
        assert!(waiting.elapsed() < PATIENCE, "shard 2 never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let cancelled = slurm("scancel").arg(format!("{array}_2")).status().unwrap();
    assert!(cancelled.success());
    assert_eq!(
        wait_for_end(&merge, &out),
        "FAILED",
        "{}",
        merge_log(&out, &merge)
    );
    assert!(
        !shard.join("manifest.json").exists(),
        "shard 2 finished before it was cancelled: make the articles longer"
    );
    let log = merge_log(&out, &merge);
    assert!(log.contains("shard-2/manifest.json: missing"), "{log}");
    assert!(!out.join("all/manifest.json").exists());

    let (_, merge) = submit(&input, &out, Some("2"));
    assert_eq!(
        wait_for_end(&merge, &out),
        "COMPLETED",
        "{}",
        merge_log(&out, &merge)
    );
    assert_eq!(outputs(&out.join("all")), outputs(&whole));
    let resumed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shard.join("manifest.json")).unwrap()).unwrap();
    let totals = &resumed["totals"];
    assert!(
        totals["engine_sentences"].as_u64() < totals["sentences"].as_u64(),
        "the resubmitted shard resumed from its cache: {totals}"
    );
    eprintln!(
        "the Slurm recipe test took {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
