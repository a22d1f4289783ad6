//! `fixbook build --watch`: the site is built once into memory and written out, then kept up
//! to date. After each burst of changes the site in memory is patched ([`Live`]: only the
//! pages an edit shows on, the search shards its terms are in and the records-data part that
//! holds the record), and the output folder is replaced by a copy of itself in which only the
//! files that differ are written (the spare of `output::publish_reusing`), swapped in whole
//! as every build is. A failed rebuild leaves the output as it was.

use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Instant;

use crate::incremental::{Files, Live, Update};
use crate::output::{self, OutputError, OutputLock};
use crate::serve::{burst, watch as watcher, Burst, Links};
use crate::{BuildError, BuildOptions};

/// One build of the watch loop: the first, or one after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
    pub update: Update,
    pub records: usize,
    /// Files written or removed in the output folder.
    pub files: usize,
    /// When the site in memory was up to date, and when the new output was swapped in, in
    /// milliseconds from the end of the burst of changes (from the start, for the first).
    pub patched_ms: f64,
    pub swapped_ms: f64,
}

/// Builds `opts.root` into `opts.out`, then rebuilds after every change until the watcher
/// stops. `report` hears of every build, and of every error (the previous output stays).
///
/// The output's lock is held for as long as this runs, not per rebuild: each rebuild writes
/// only what differs from what the previous one wrote, so another build into the output in
/// between would make the next rebuild's site wrong. A build started meanwhile waits, naming
/// this process.
pub fn watch(opts: &BuildOptions, report: &mut dyn FnMut(Result<Rebuilt, BuildError>)) -> Result<(), BuildError> {
    output::check_location(&opts.root, &opts.out)?;
    let lock = output::lock(&opts.out, "fixbook build --watch", &crate::waiting)?;
    let started = Instant::now();
    // Watching from before the first build: a change made while it runs is not missed.
    let (tx, rx) = channel();
    let _watcher = watcher(&opts.root, tx)?;
    let mut live = Live::build(&opts.root, opts.links)?;
    let patched_ms = ms(started);
    let mut written = live.files();
    let all: Vec<(&String, &Arc<[u8]>)> = written.iter().collect();
    output::publish(&lock, |sink| crate::render::put_all(sink, &all).map_err(BuildError::from))?;
    let files = all.len();
    drop(all);
    // The spare every rebuild starts from, made now rather than by the first edit: linking
    // every file into new folders takes seconds at 10,000 records.
    output::publish_changes(&lock, &[], &[])?;
    report(Ok(Rebuilt { update: Update::Full, records: live.site().records.len(), files, patched_ms, swapped_ms: ms(started) }));

    // Events name absolute paths; compare them with the absolute root.
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|_| opts.root.clone());
    let mut links = Links::scan(&root);
    while let Ok(first) = rx.recv() {
        let Some(Burst { paths, everything }) = burst(&root, &links, first, &rx) else { break };
        if paths.is_empty() && !everything {
            continue;
        }
        let started = Instant::now();
        let result = live.update(if everything { &[] } else { &paths });
        links.rescan_after(&root, &result);
        let update = match result {
            Ok(Update::Nothing) => continue,
            Ok(update) => update,
            Err(e) => {
                report(Err(e));
                continue;
            }
        };
        let patched_ms = ms(started);
        let now = live.files();
        // Against what the output holds: after a failed write, the next one catches up.
        match write_changes(&lock, &written, &now) {
            Ok(files) => {
                written = now;
                report(Ok(Rebuilt { update, records: live.site().records.len(), files, patched_ms, swapped_ms: ms(started) }));
            }
            Err(e) => report(Err(e.into())),
        }
    }
    Ok(())
}

/// Makes the locked output, which holds `before`, hold `after`; returns how many files were
/// written or removed.
pub fn write_changes(lock: &OutputLock, before: &Files, after: &Files) -> Result<usize, OutputError> {
    let (put, removed) = diff(before, after);
    output::publish_changes(lock, &put, &removed)?;
    Ok(put.len() + removed.len())
}

/// The files of `after` that `before` does not hold as they are, and the paths of `before`
/// that `after` does not have.
fn diff<'a>(before: &'a Files, after: &'a Files) -> (Vec<(&'a str, &'a [u8])>, Vec<&'a str>) {
    // Unchanged files share their bytes with the previous site: most compare by address.
    let put = after
        .iter()
        .filter(|(path, bytes)| before.get(*path).is_none_or(|old| !Arc::ptr_eq(old, bytes) && old[..] != bytes[..]))
        .map(|(path, bytes)| (path.as_str(), &bytes[..]))
        .collect();
    let removed = before.keys().filter(|path| !after.contains_key(*path)).map(String::as_str).collect();
    (put, removed)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
