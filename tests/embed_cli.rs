//! `bitext embed` end to end on the tiny XLM-R fixture (see scripts/bert_golden.py).

mod common;

use std::path::Path;

/// Texts and expected vectors of the tiny XLM-R fixture.
fn golden() -> (Vec<String>, Vec<Vec<f32>>) {
    std::fs::read_to_string(common::fixture("embed/tiny-xlmr/golden.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = v["text"].as_str().unwrap().to_string();
            (text, serde_json::from_value(v["vector"].clone()).unwrap())
        })
        .unzip()
}

/// Writes the golden texts one per line (the last one is empty) and returns the file.
fn input(dir: &Path, texts: &[String]) -> std::path::PathBuf {
    let file = dir.join("sentences.txt");
    std::fs::write(&file, texts.join("\n") + "\n").unwrap();
    file
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn jsonl_has_one_object_per_input_line_with_text_and_vector() {
    let (texts, want) = golden();
    let dir = tempfile::tempdir().unwrap();
    let out = common::bitext()
        .args(["embed", "--embed-model"])
        .arg(common::fixture("embed/tiny-xlmr"))
        .arg(input(dir.path(), &texts))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), texts.len());
    for ((row, text), want) in rows.iter().zip(&texts).zip(&want) {
        assert_eq!(row["text"].as_str().unwrap(), text);
        let got: Vec<f32> = serde_json::from_value(row["vector"].clone()).unwrap();
        assert_close(&got, want);
    }
}

#[test]
fn npy_output_is_a_float32_matrix_numpy_can_read() {
    let (texts, want) = golden();
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("vectors.npy");
    let status = common::bitext()
        .args(["embed", "--format", "npy", "--embed-model"])
        .arg(common::fixture("embed/tiny-xlmr"))
        .arg("--output")
        .arg(&npy)
        .arg(input(dir.path(), &texts))
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&npy).unwrap();
    // NumPy format 1.0: magic, version 1.0, u16 header length, header, data
    // starting on a 64-byte boundary.
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let data_start = 10 + header_len;
    assert_eq!(data_start % 64, 0);
    let header = std::str::from_utf8(&bytes[10..data_start]).unwrap();
    assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 32), }"));
    assert!(header.ends_with('\n'));
    let values: Vec<f32> = bytes[data_start..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(values.len(), 6 * 32);
    for (row, want) in values.chunks(32).zip(&want) {
        assert_close(row, want);
    }
}

#[test]
fn npy_to_standard_output_and_a_missing_input_fail_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let out = common::bitext()
        .args(["embed", "--format", "npy"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));

    let out = common::bitext().arg("embed").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
}
