//! Emitters: the only code that writes files. Every file is written under a temporary name and renamed into
//! place, its blake3 hash recorded; `dataset.json` is written last, so a folder without it is not a finished
//! dataset.

pub mod images;
pub mod plan;
pub mod preview;
pub mod records;
pub mod state;
pub mod video;
pub mod webdataset;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("cannot write to the output folder {path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("cannot encode the video {path}: {message}")]
    Video { path: PathBuf, message: String },
    #[error("cannot encode the image {path}: {message}")]
    Image { path: PathBuf, message: String },
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: String },
}

/// Maps a read failure to an error naming the file.
pub(crate) fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
    move |cause| EmitError::Read { path: path.to_path_buf(), cause: cause.to_string() }
}

/// A finished dataset's `dataset.json`, parsed.
pub fn read_dataset_record(dataset: &Path) -> Result<serde_json::Value, EmitError> {
    let path = dataset.join("dataset.json");
    let text = fs::read_to_string(&path).map_err(|e| EmitError::Read {
        path: path.clone(),
        cause: format!("{e} (is {} a finished dataset?)", dataset.display()),
    })?;
    serde_json::from_str(&text).map_err(|e| EmitError::Read { path, cause: e.to_string() })
}

/// The scene ids a dataset record lists, in order.
pub fn scene_ids(record: &serde_json::Value) -> Vec<String> {
    record["scenes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["scene_id"].as_str().map(str::to_string))
        .collect()
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
    move |cause| EmitError::Io { path: path.to_path_buf(), cause }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    let tmp = tmp_path(path);
    let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_data().ok();
    drop(f);
    fs::rename(&tmp, path).map_err(io_err(path))
}

/// A file written piece by piece under a temporary name, hashed as it goes, renamed into place by `finish`
/// (for outputs too large to hold in memory, as a big build's qa.jsonl and dataset.json).
pub struct StreamingFile {
    path: PathBuf,
    tmp: PathBuf,
    out: std::io::BufWriter<fs::File>,
    hasher: blake3::Hasher,
}

impl StreamingFile {
    pub fn create(path: &Path) -> Result<StreamingFile, EmitError> {
        let tmp = tmp_path(path);
        let file = fs::File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(StreamingFile {
            path: path.to_path_buf(),
            tmp,
            out: std::io::BufWriter::new(file),
            hasher: blake3::Hasher::new(),
        })
    }

    /// Flushes, syncs and renames into place; returns the blake3 hash of what was written.
    pub fn finish(mut self) -> Result<String, EmitError> {
        self.out.flush().map_err(io_err(&self.tmp))?;
        let file =
            self.out.into_inner().map_err(|e| EmitError::Io { path: self.tmp.clone(), cause: e.into_error() })?;
        file.sync_data().ok();
        drop(file);
        fs::rename(&self.tmp, &self.path).map_err(io_err(&self.path))?;
        Ok(self.hasher.finalize().to_hex().to_string())
    }
}

impl Write for StreamingFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A temporary name beside `path`, distinct per process: shards writing into one folder never share one.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// The root of a build.
pub struct OutputDir {
    root: PathBuf,
}

impl OutputDir {
    /// Creates the folder (if needed) and proves it writable.
    pub fn open(root: &Path) -> Result<OutputDir, EmitError> {
        fs::create_dir_all(root).map_err(io_err(root))?;
        let probe = root.join(format!(".diorama-write-probe-{}", std::process::id()));
        write_atomic(&probe, b"probe")?;
        fs::remove_file(&probe).map_err(io_err(&probe))?;
        Ok(OutputDir { root: root.to_path_buf() })
    }

    /// Removes the merged records (`dataset.json`, `qa.jsonl`) before scenes change, so that an interrupted
    /// rebuild never looks complete.
    pub fn invalidate(&self) -> Result<(), EmitError> {
        let root = &self.root;
        for stale in ["dataset.json", "qa.jsonl"] {
            let p = root.join(stale);
            if p.exists() {
                fs::remove_file(&p).map_err(io_err(&p))?;
            }
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A fresh folder for one scene (a previous scene of the same id is removed first).
    /// Prepares `scenes/<scene_id>/` afresh, with the per-frame folders `subdirs` (`depth`, `instance`, ...).
    pub fn scene(&self, scene_id: &str, subdirs: &[&str]) -> Result<SceneWriter, EmitError> {
        let rel = format!("scenes/{scene_id}");
        let dir = self.root.join(&rel);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        for sub in subdirs {
            fs::create_dir_all(dir.join(sub)).map_err(io_err(&dir))?;
        }
        Ok(SceneWriter { dir, rel, files: BTreeMap::new() })
    }

    /// Writes a top-level file; returns its blake3 hash.
    pub fn write_top(&self, name: &str, bytes: &[u8]) -> Result<String, EmitError> {
        write_atomic(&self.root.join(name), bytes)?;
        Ok(blake3::hash(bytes).to_hex().to_string())
    }
}

/// Writes the files of one scene and records their hashes (relative path from the build root -> blake3 hex).
pub struct SceneWriter {
    dir: PathBuf,
    rel: String,
    files: BTreeMap<String, String>,
}

impl SceneWriter {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), EmitError> {
        write_atomic(&self.dir.join(rel), bytes)?;
        self.files.insert(format!("{}/{rel}", self.rel), blake3::hash(bytes).to_hex().to_string());
        Ok(())
    }

    /// Writes an image that was encoded into `bytes`, or reports its encoding error under the file's path.
    pub fn write_image(
        &mut self,
        rel: &str,
        encoded: Result<(), png::EncodingError>,
        bytes: &[u8],
    ) -> Result<(), EmitError> {
        encoded.map_err(|e| images::image_error(self.path(rel), e))?;
        self.write(rel, bytes)
    }

    /// Records the hash of a file written by someone else (the video encoder).
    pub fn record(&mut self, rel: &str) -> Result<(), EmitError> {
        let path = self.dir.join(rel);
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        self.files.insert(format!("{}/{rel}", self.rel), blake3::hash(&bytes).to_hex().to_string());
        Ok(())
    }

    pub fn into_files(self) -> BTreeMap<String, String> {
        self.files
    }
}
