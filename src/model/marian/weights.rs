//! Weights read tensor by tensor from a `.safetensors` file straight into the model's
//! buffers. A memory map would be simpler, but every mapped page the copy touches counts
//! towards the process's resident memory until the map is dropped, so loading would
//! peak at twice the model's size.

use anyhow::{bail, Context};
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One tensor's entry in the safetensors header.
#[derive(Debug, Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [u64; 2],
}

/// An open safetensors file and its header; tensors are read on request.
#[derive(Debug)]
pub struct SafetensorsFile {
    path: PathBuf,
    file: Mutex<File>,
    data_start: u64,
    /// Length of the whole file.
    file_len: u64,
    entries: HashMap<String, Entry>,
}

/// Bytes converted per read when filling an f32 buffer.
const CHUNK: usize = 1 << 20;

impl SafetensorsFile {
    /// Opens `path` and reads its header (8-byte little-endian length, then JSON).
    pub fn open(path: &Path) -> anyhow::Result<SafetensorsFile> {
        let mut file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let mut len = [0u8; 8];
        file.read_exact(&mut len)
            .with_context(|| format!("{}: not a safetensors file", path.display()))?;
        let len = u64::from_le_bytes(len);
        let file_len = file.metadata()?.len();
        if len > file_len.saturating_sub(8) {
            bail!("{}: safetensors header longer than the file", path.display());
        }
        let mut header = vec![0u8; len as usize];
        file.read_exact(&mut header)?;
        let mut raw: HashMap<String, serde_json::Value> = serde_json::from_slice(&header)
            .with_context(|| format!("{}: unreadable safetensors header", path.display()))?;
        raw.remove("__metadata__");
        let entries = raw
            .into_iter()
            .map(|(name, value)| Ok((name, serde_json::from_value(value)?)))
            .collect::<Result<HashMap<String, Entry>, serde_json::Error>>()
            .with_context(|| format!("{}: unreadable safetensors header", path.display()))?;
        Ok(SafetensorsFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            data_start: 8 + len,
            file_len,
            entries,
        })
    }

    /// Reads tensor `name` in the file's dtype.
    fn read(&self, name: &str, dev: &Device) -> candle_core::Result<Tensor> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| candle_core::Error::CannotFindTensor {
                path: name.to_string(),
            })?;
        let dtype = match entry.dtype.as_str() {
            "F32" => DType::F32,
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            other => candle_core::bail!(
                "{}: tensor {name} has unsupported dtype {other}",
                self.path.display()
            ),
        };
        let [begin, end] = entry.data_offsets;
        // Checked: a damaged header must give an error, not an overflow or a huge allocation.
        let count = entry.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let bytes = count.and_then(|c| c.checked_mul(dtype.size_in_bytes()));
        let (Some(count), Some(bytes)) = (count, bytes) else {
            candle_core::bail!("{}: tensor {name} has an impossible shape", self.path.display());
        };
        if end < begin || end - begin != bytes as u64 {
            candle_core::bail!("{}: tensor {name} has inconsistent offsets", self.path.display());
        }
        if self.data_start.saturating_add(end) > self.file_len {
            candle_core::bail!(
                "{}: tensor {name} ends past the end of the file",
                self.path.display()
            );
        }
        let mut file = self
            .file
            .lock()
            .map_err(|_| candle_core::Error::Msg("weights file lock poisoned".into()))?;
        file.seek(SeekFrom::Start(self.data_start + begin))?;
        let shape = Shape::from(entry.shape.clone());
        if dtype == DType::F32 {
            let mut values = Vec::with_capacity(count);
            let mut buf = vec![0u8; CHUNK.min(count * 4)];
            while values.len() < count {
                let n = (count - values.len()).min(CHUNK / 4) * 4;
                file.read_exact(&mut buf[..n])?;
                values.extend(
                    buf[..n]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            Tensor::from_vec(values, shape, dev)
        } else {
            let mut bytes = vec![0u8; bytes];
            file.read_exact(&mut bytes)?;
            Tensor::from_raw_buffer(&bytes, dtype, shape.dims(), dev)
        }
    }
}

impl SimpleBackend for SafetensorsFile {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.read(name, dev)?;
        if tensor.shape() != &s {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: s,
                got: tensor.shape().clone(),
            }
            .bt());
        }
        tensor.to_dtype(dtype)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        self.read(name, dev)?.to_dtype(dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same tensors as candle's own safetensors reader, for every tensor of a fixture.
    #[test]
    fn reads_every_tensor_exactly_as_candle_does() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian/tiny-en-zh/model.safetensors");
        let ours = SafetensorsFile::open(&path).unwrap();
        let theirs = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
        assert_eq!(ours.entries.len(), theirs.len());
        for (name, expected) in theirs {
            let got = ours.read(&name, &Device::Cpu).unwrap();
            assert_eq!(got.shape(), expected.shape(), "{name}");
            let diff = (got - &expected).unwrap().abs().unwrap().flatten_all().unwrap();
            assert_eq!(diff.max(0).unwrap().to_scalar::<f32>().unwrap(), 0.0, "{name}");
        }
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        std::fs::write(&path, [200u8, 0, 0, 0, 0, 0, 0, 0, b'{']).unwrap();
        let err = SafetensorsFile::open(&path).unwrap_err().to_string();
        assert!(err.contains("model.safetensors"), "{err}");
    }
}
