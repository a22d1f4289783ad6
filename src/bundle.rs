//! `fixbook bundle`: the site for reading without a network, as a zip that works unzipped
//! anywhere and opened by double-click. Pages link relatively to `index.html` files, search
//! loads its index as scripts (no `fetch`), and nothing points at the published site.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::output::{self, OutputError};
use crate::url;

/// The comment of every zip Fixbook writes; an existing file is replaced only if it has it.
const ZIP_COMMENT: &str = "Offline copy of a help center, written by Fixbook. Unzip it and open index.html.";

/// The folder inside the zip, named after the site: `northwind-it-help-center`.
pub fn folder_name(title: &str) -> String {
    url::code_slug(title)
}

/// Writes `files` (site-relative paths) under `folder/` into the zip at `out`, atomically.
/// Entries are sorted and dated 1980-01-01, so the same site gives the same bytes.
pub fn write_zip(out: &Path, folder: &str, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<u64, OutputError> {
    output::publish_file(out, is_our_zip, |file| {
        let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        for (path, bytes) in files {
            zip.start_file(format!("{folder}/{path}"), options).map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        zip.set_comment(ZIP_COMMENT).map_err(std::io::Error::other)?;
        zip.finish().map_err(std::io::Error::other)?.flush()
    })?;
    Ok(std::fs::metadata(out).map(|m| m.len()).unwrap_or(0))
}

fn is_our_zip(path: &Path) -> bool {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| ZipArchive::new(f).ok())
        .is_some_and(|z| z.comment() == ZIP_COMMENT.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_deterministic_and_only_replace_their_own_kind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kb.zip");
        let files: std::collections::BTreeMap<String, Vec<u8>> =
            [("index.html".to_string(), b"<p>home</p>".to_vec()), ("a/b.css".to_string(), b"p{}".to_vec())].into();
        write_zip(&out, "kb", &files).unwrap();
        let first = std::fs::read(&out).unwrap();
        write_zip(&out, "kb", &files).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), first, "same input, same bytes; and our own zip may be replaced");
        let names: Vec<String> = ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap().file_names().map(|n| n.unwrap().to_string()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"kb/index.html".to_string()) && names.contains(&"kb/a/b.css".to_string()), "{names:?}");

        let theirs = dir.path().join("report.zip");
        std::fs::write(&theirs, b"not ours").unwrap();
        assert!(matches!(write_zip(&theirs, "kb", &files), Err(OutputError::NotOurFile(_))));
        assert_eq!(std::fs::read(&theirs).unwrap(), b"not ours");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "no partial file left behind: {leftovers:?}");
    }
}
