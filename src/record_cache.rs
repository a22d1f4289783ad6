//! Records parsed by the last build, kept in `.fixbook-cache/records.bin` so that the next
//! build reads again only the files that changed. Parsing TOML is most of a build's loading:
//! at 10,000 records, reading this file back takes a fraction of it.
//!
//! Only records that parsed are kept, each under the path and stamp its file had when it was
//! read ([`FileStamp`]: with the inode and change time, so that neither a same-length edit
//! with its old modification time put back nor a copy of the knowledge base with this file
//! matches); a build of another Fixbook version, or of a file it cannot read, parses
//! everything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::load::{FileStamp, Found, Kept, Parsed};
use crate::record::{Record, RecordId, RecordLink};
use crate::site::Site;

const FILE: &str = "records.bin";
/// The first bytes of the file: its format, and the version of Fixbook, whose records may be
/// another shape.
const MAGIC: &[u8] = concat!("fixbook-records 2 ", env!("CARGO_PKG_VERSION"), "\n").as_bytes();

/// Where the records of the knowledge base at `root` are kept.
pub fn path(root: &Path) -> PathBuf {
    root.join(crate::fs::CACHE_DIR).join(FILE)
}

/// One file's entry: where its record is in the file.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    path: &'a str,
    stamp: FileStamp,
    record: &'a [u8],
}

/// What a record is besides the fields read from TOML (`file` is the entry's path).
#[derive(Serialize, Deserialize)]
struct Stored {
    id: RecordId,
    links: Vec<RecordLink>,
    record: Record,
}

/// [`Stored`] as written, borrowing the record: postcard writes a reference as what it
/// refers to, so it reads back as `Stored` (copying every record to write it cost more than
/// writing it).
#[derive(Serialize)]
struct StoredRef<'a> {
    id: &'a RecordId,
    links: &'a [RecordLink],
    record: &'a Record,
}

/// The records of one cache file, read back only for the files asked for.
pub struct RecordCache {
    bytes: Vec<u8>,
    /// Path as shown -> (stamp, range of the record in `bytes`).
    entries: HashMap<String, (FileStamp, std::ops::Range<usize>)>,
}

impl RecordCache {
    /// The cache at `root`, if there is one this version wrote.
    pub fn read(root: &Path) -> Option<RecordCache> {
        RecordCache::from_bytes(crate::fs::read_cache_file(&path(root))?)
    }

    fn from_bytes(bytes: Vec<u8>) -> Option<RecordCache> {
        let body = bytes.strip_prefix(MAGIC)?;
        let list: Vec<Entry> = postcard::from_bytes(body).ok()?;
        let base = bytes.as_ptr() as usize;
        let entries = list
            .iter()
            .map(|e| (e.path.to_string(), (e.stamp, e.record.as_ptr() as usize - base..e.record.as_ptr() as usize - base + e.record.len())))
            .collect();
        Some(RecordCache { bytes, entries })
    }

    /// Writes the cache of `site`'s records, whose files had `stamps` (by path as shown) when
    /// read, into `out`, some records at a time, so that the whole file (230 MB at 100,000
    /// records) is never in memory while the pages are being made. A record `previous` holds
    /// under the same stamp is copied from it as it is.
    pub fn write(out: &mut dyn std::io::Write, site: &Site, stamps: &HashMap<PathBuf, FileStamp>, previous: Option<&RecordCache>) -> std::io::Result<()> {
        let kept: Vec<(&Record, &str, FileStamp)> = site.records.iter().filter_map(|r| Some((r, r.file.to_str()?, *stamps.get(&r.file)?))).collect();
        out.write_all(MAGIC)?;
        // A postcard sequence is its length, then each element as written alone.
        out.write_all(&postcard::to_stdvec(&(kept.len() as u64)).expect("a number serialises"))?;
        for chunk in kept.chunks(1024) {
            // On the caller's thread: it runs beside the pages, which have the thread pool.
            let encoded: Vec<Vec<u8>> = chunk
                .iter()
                .map(|&(r, path, stamp)| {
                    let old = previous.and_then(|p| Some(&p.bytes[p.entries.get(path).filter(|(then, _)| *then == stamp)?.1.clone()]));
                    let fresh;
                    let record = match old {
                        Some(bytes) => bytes,
                        None => {
                            fresh = postcard::to_stdvec(&StoredRef { id: &r.id, links: &r.links, record: r }).expect("records serialise");
                            &fresh
                        }
                    };
                    postcard::to_stdvec(&Entry { path, stamp, record }).expect("records serialise")
                })
                .collect();
            for e in encoded {
                out.write_all(&e)?;
            }
        }
        Ok(())
    }
}

impl Kept for RecordCache {
    fn parsed(&self, f: &Found, now: &FileStamp) -> Option<Parsed> {
        let (then, range) = self.entries.get(f.shown_as.to_str()?)?;
        if then != now {
            return None;
        }
        let stored: Stored = postcard::from_bytes(&self.bytes[range.clone()]).ok()?;
        (stored.id == f.id).then(|| Ok(Record { id: stored.id, file: f.shown_as.clone(), links: stored.links, ..stored.record }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_from_memory;
    use crate::validate::validate;

    fn encode(site: &Site, stamps: &HashMap<PathBuf, FileStamp>, previous: Option<&RecordCache>) -> Vec<u8> {
        let mut bytes = Vec::new();
        RecordCache::write(&mut bytes, site, stamps, previous).unwrap();
        bytes
    }

    #[test]
    fn a_kept_record_is_the_record_parsed() {
        let site_toml = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        let a = "code = \"0x1\"\nproduct = \"p\"\ntitle = \"Printer\"\nsummary = \"See [two](@/p/2).\"\nupdated = 2026-11-20\nrelated = [\"p/2\"]\n[[causes]]\nid = \"c\"\ntitle = \"Cause\"\nlikelihood = \"high\"\n[[fixes]]\ntitle = \"Fix\"\ndifficulty = \"easy\"\ncauses = [\"c\"]\n";
        let b = "code = \"0x2\"\nproduct = \"p\"\ntitle = \"Spooler\"\nsummary = \"s\"\n";
        let site = validate(load_from_memory(site_toml, &[("p/1", a), ("p/2", b)])).unwrap();
        let stamp = FileStamp { len: 7, modified: 1_700_000_000_123_456_789, inode: 42, changed: 1_700_000_001_000_000_000 };
        let stamps: HashMap<PathBuf, FileStamp> = site.records.iter().map(|r| (r.file.clone(), stamp)).collect();
        let bytes = encode(&site, &stamps, None);
        let cache = RecordCache::from_bytes(bytes.clone()).unwrap();
        assert_eq!(encode(&site, &stamps, Some(&cache)), bytes, "records kept are copied as they are");
        let found = |r: &Record| Found { path: PathBuf::from("/kb").join(&r.file), shown_as: r.file.clone(), id: r.id.clone() };
        let r = &site.records[0];
        let kept = cache.parsed(&found(r), &stamp).unwrap().unwrap();
        assert_eq!(format!("{kept:?}"), format!("{r:?}"), "spans, links and dates survive");
        assert!(cache.parsed(&found(r), &FileStamp { len: 8, ..stamp }).is_none(), "a file of another size is read again");
        assert!(
            cache.parsed(&found(r), &FileStamp { changed: stamp.changed + 1, ..stamp }).is_none(),
            "so is a file changed since, whatever its modification time"
        );
        assert!(cache.parsed(&found(r), &FileStamp { inode: 43, ..stamp }).is_none(), "and another file under the same name (a copy)");
        let mut bytes = encode(&site, &stamps, None);
        bytes[MAGIC.len() - 2] = b'x';
        assert!(RecordCache::from_bytes(bytes).is_none(), "another version's cache is not read");
    }
}
