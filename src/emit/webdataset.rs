//! WebDataset export: a finished dataset as tar shards of bounded size, one sample per scene (WebDataset groups
//! a tar's files by the name before the first dot): `<scene>.mp4` (the video), `<scene>.scene.json`,
//! `<scene>.frames.jsonl` and `<scene>.qa.jsonl`. Entries carry fixed metadata (mode 0644, owner 0, time 0) in
//! a fixed order, so the same dataset gives the same shards.

use std::path::{Path, PathBuf};

use super::{EmitError, io_err, write_atomic};

/// What goes into one sample, by extension, in order.
const MEMBERS: [(&str, &str); 4] =
    [("video.mp4", "mp4"), ("scene.json", "scene.json"), ("frames.jsonl", "frames.jsonl"), ("qa.jsonl", "qa.jsonl")];

/// Writes `out/<prefix>-NNNNNN.tar` shards of the scenes of the finished dataset at `dataset`, starting a new
/// shard before a sample would take one past `max_bytes` (a sample larger than that gets a shard alone).
/// Returns the samples and the shards written.
pub fn write_shards(
    dataset: &Path,
    out: &Path,
    prefix: &str,
    max_bytes: u64,
) -> Result<(usize, Vec<PathBuf>), EmitError> {
    let scene_ids = super::scene_ids(&super::read_dataset_record(dataset)?);
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut shards = Vec::new();
    let mut current: Option<tar::Builder<Vec<u8>>> = None;
    let mut size = 0u64;
    let finish = |builder: tar::Builder<Vec<u8>>, shards: &mut Vec<PathBuf>| -> Result<(), EmitError> {
        let path = out.join(format!("{prefix}-{:06}.tar", shards.len()));
        let bytes = builder.into_inner().map_err(io_err(&path))?;
        write_atomic(&path, &bytes)?;
        shards.push(path);
        Ok(())
    };
    for id in &scene_ids {
        let dir = dataset.join("scenes").join(id);
        let mut files = Vec::new();
        for (name, ext) in MEMBERS {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(super::read_err(&path))?;
            files.push((format!("{id}.{ext}"), bytes));
        }
        // Each member takes a 512-byte header and its data padded to 512 bytes.
        let sample: u64 = files.iter().map(|(_, b)| 512 + (b.len() as u64).div_ceil(512) * 512).sum();
        if current.is_some() && size + sample > max_bytes {
            finish(current.take().expect("a shard"), &mut shards)?;
        }
        let builder = current.get_or_insert_with(|| {
            size = 1024; // the end-of-archive blocks
            tar::Builder::new(Vec::new())
        });
        for (name, bytes) in files {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            let at = out.join(&name);
            builder.append_data(&mut header, &name, bytes.as_slice()).map_err(io_err(&at))?;
        }
        size += sample;
    }
    if let Some(builder) = current {
        finish(builder, &mut shards)?;
    }
    Ok((scene_ids.len(), shards))
}
