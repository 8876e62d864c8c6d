//! The `dist/` layout: content-hashed assets, their brotli and gzip copies,
//! and `manifest.json`.
//!
//! `dist/<hash>/<name>` contains each asset, `<hash>` being the first 16 hex
//! digits of the SHA-256 of that file's own bytes, with `<name>.br` (brotli,
//! quality 11) and `<name>.gz` (gzip, level 9) beside it. Writing is
//! idempotent: unchanged files are left alone and stale ones are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `dist/manifest.json`: each logical asset name to its hashed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub assets: BTreeMap<String, Entry>,
}

/// One asset of the manifest; sizes are in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `<hash>/<name>`, relative to `dist/` and to `/v1/b/`.
    pub path: String,
    pub hash: String,
    pub bytes: u64,
    pub gzip: u64,
    pub br: u64,
}

/// An asset ready to be written: its logical name and final bytes.
#[derive(Debug)]
pub struct Asset {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Asset {
    /// Returns the first 16 hex digits of the SHA-256 of the bytes.
    pub fn hash(&self) -> String {
        content_hash(&self.bytes)
    }

    /// Returns the URL path the server serves this asset at.
    pub fn url(&self) -> String {
        format!("/v1/b/{}/{}", self.hash(), self.name)
    }
}

/// Returns the first 16 hex digits of the SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Brotli at quality 11 with the largest standard window.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = bytes;
    // Vec's Write implementation never returns an error.
    let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
    out
}

/// Gzip at the best compression level, with no timestamp or file name, so
/// the output depends only on the input.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Vec's Write implementation never returns an error.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Writes the assets and the manifest into `dist`, removing every file and
/// directory of `dist` that is not part of this build.
pub fn write(dist: &Path, assets: &[Asset]) -> Result<Manifest> {
    std::fs::create_dir_all(dist)
        .with_context(|| format!("failed to create {}", dist.display()))?;

    let mut manifest = Manifest {
        assets: BTreeMap::new(),
    };
    let mut keep: BTreeSet<String> = BTreeSet::new();
    for asset in assets {
        let hash = asset.hash();
        let path = format!("{hash}/{}", asset.name);
        let br = brotli(&asset.bytes);
        let gz = gzip(&asset.bytes);

        std::fs::create_dir_all(dist.join(&hash))?;
        write_if_changed(&dist.join(&path), &asset.bytes)?;
        write_if_changed(&dist.join(format!("{path}.br")), &br)?;
        write_if_changed(&dist.join(format!("{path}.gz")), &gz)?;
        for suffix in ["", ".br", ".gz"] {
            keep.insert(format!("{path}{suffix}"));
        }
        keep.insert(hash.clone());

        let entry = Entry {
            path,
            hash,
            bytes: len(&asset.bytes),
            gzip: len(&gz),
            br: len(&br),
        };
        manifest.assets.insert(asset.name.clone(), entry);
    }

    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    write_if_changed(&dist.join("manifest.json"), json.as_bytes())?;
    keep.insert("manifest.json".to_owned());

    remove_stale(dist, dist, &keep)?;
    Ok(manifest)
}

/// Reads `dist/manifest.json`.
pub fn read_manifest(dist: &Path) -> Result<Manifest> {
    let path = dist.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("failed to parse {}", path.display()))
}

fn len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

/// Writes `bytes` to `path` unless the file already contains exactly them, so
/// that a rebuild with no change touches nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    let temporary = path.with_extension("tmp-xtask");
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("failed to write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("failed to move {} into place", path.display()))
}

/// Removes everything under `dir` whose path relative to `dist` is not in
/// `keep` (directories are kept when named there).
fn remove_stale(dist: &Path, dir: &Path, keep: &BTreeSet<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let relative = path
            .strip_prefix(dist)
            .map(|relative| relative.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_dir = path.is_dir();
        if keep.contains(&relative) {
            if is_dir {
                remove_stale(dist, &path, keep)?;
            }
            continue;
        }
        eprintln!("Removing stale dist/{relative}");
        if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        }
        .with_context(|| format!("failed to remove {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, text: &str) -> Asset {
        Asset {
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-dist-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn hash_is_sixteen_hex_digits_of_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223...
        assert_eq!(content_hash(b"abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn compressed_copies_decompress_to_the_asset() {
        let text = "body { color: red }\n".repeat(50);
        let mut unbrotli = Vec::new();
        let br = brotli(text.as_bytes());
        assert!(brotli::BrotliDecompress(&mut br.as_slice(), &mut unbrotli).is_ok());
        assert_eq!(unbrotli, text.as_bytes());

        let mut ungzip = String::new();
        let gz = gzip(text.as_bytes());
        let mut decoder = flate2::read::GzDecoder::new(gz.as_slice());
        assert!(std::io::Read::read_to_string(&mut decoder, &mut ungzip).is_ok());
        assert_eq!(ungzip, text);
    }

    #[test]
    fn write_lays_out_assets_and_removes_stale_files() -> Result<()> {
        let dist = temp_dir("layout");
        std::fs::create_dir_all(dist.join("0000000000000000"))?;
        std::fs::write(dist.join("0000000000000000/core.js"), "old")?;
        std::fs::write(dist.join("stray.txt"), "old")?;

        let assets = [asset("core.js", "export {}"), asset("widget.css", "a{}")];
        let manifest = write(&dist, &assets)?;

        let core = &manifest.assets["core.js"];
        assert_eq!(core.hash, content_hash(b"export {}"));
        assert_eq!(core.path, format!("{}/core.js", core.hash));
        assert_eq!(core.bytes, 9);
        assert_eq!(std::fs::read(dist.join(&core.path))?, b"export {}");
        assert!(dist.join(format!("{}.br", core.path)).exists());
        assert!(dist.join(format!("{}.gz", core.path)).exists());
        assert!(!dist.join("0000000000000000").exists());
        assert!(!dist.join("stray.txt").exists());
        assert_eq!(read_manifest(&dist)?, manifest);

        // A second identical build changes nothing.
        let again = write(&dist, &assets)?;
        assert_eq!(again, manifest);
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }
}
