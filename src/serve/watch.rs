//! The file watcher of `serve` and `build --watch`: changes under the knowledge base, in
//! bursts, named as the site knows the files (through the symbolic links that records may be).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use walkdir::WalkDir;

use super::ServeError;
use crate::incremental::{matters, Update};
use crate::load::CONTENT_DIR;
use crate::BuildError;

/// Changes closer together than this (editor swap files, `git checkout`) make one rebuild.
const QUIET: Duration = Duration::from_millis(20);

/// One burst of changes: the paths, and whether everything must be looked at. `None` when
/// the watcher is gone.
pub(crate) struct Burst {
    pub paths: Vec<PathBuf>,
    pub everything: bool,
}

/// The records and folders under content/ that are symbolic links, as (where the link leads,
/// the path through the link). The watcher names a file by where it really is, while the
/// site knows it by the link's path: an edit made to the file a record links to (or through
/// the link, which writes that file) must be reported under the link's path too.
#[derive(Debug, Default)]
pub(crate) struct Links(Vec<(PathBuf, PathBuf)>);

impl Links {
    /// The links under `root`'s content/ that stay inside `root` (the build refuses the
    /// others), looked up again after every full rebuild, as a link may have come or gone.
    pub(crate) fn scan(root: &Path) -> Links {
        let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
        let links = WalkDir::new(root.join(CONTENT_DIR))
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !hidden(e))
            .filter_map(Result::ok)
            .filter(|e| e.path_is_symlink())
            .filter_map(|e| {
                let real = std::fs::canonicalize(e.path()).ok()?;
                (real.starts_with(&real_root) && real != e.path()).then(|| (real, e.path().to_path_buf()))
            })
            .collect();
        Links(links)
    }

    /// Looks the links up again after an update that was more than an edit of known records:
    /// a record, and so a link, may have come or gone.
    pub(crate) fn rescan_after(&mut self, root: &Path, update: &Result<Update, BuildError>) {
        if !matches!(update, Ok(Update::Nothing | Update::Pages(_))) {
            *self = Links::scan(root);
        }
    }

    /// The paths through links that `path` is also known by.
    fn aliases<'a>(&'a self, path: &'a Path) -> impl Iterator<Item = PathBuf> + 'a {
        self.0.iter().filter_map(move |(real, link)| {
            let rest = path.strip_prefix(real).ok()?;
            Some(if rest.as_os_str().is_empty() { link.clone() } else { link.join(rest) })
        })
    }
}

/// Waits out a burst that starts with `first`: changes closer together than [`QUIET`] make
/// one rebuild. A change to a file that records link to counts as a change of those records.
pub(crate) fn burst(root: &Path, links: &Links, first: notify::Event, rx: &Receiver<notify::Event>) -> Option<Burst> {
    let mut b = Burst { paths: Vec::new(), everything: false };
    let mut take = |e: notify::Event| {
        b.everything |= e.paths.is_empty() || e.need_rescan();
        for path in e.paths {
            let aliases: Vec<PathBuf> = links.aliases(&path).collect();
            b.paths.extend(std::iter::once(path).chain(aliases).filter(|p| matters(root, p)));
        }
    };
    take(first);
    let mut deadline = Instant::now() + QUIET;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => {
                take(e);
                deadline = Instant::now() + QUIET;
            }
            Err(RecvTimeoutError::Timeout) => return Some(b),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// Watches `root` recursively; every change (not mere reads) goes to `tx`, and an error of
/// the watcher (an overflowing queue) as an event that asks for a look at everything.
pub(crate) fn watch(root: &Path, tx: Sender<notify::Event>) -> Result<notify::RecommendedWatcher, ServeError> {
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        let event = match e {
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => return,
            Ok(e) => e,
            Err(_) => notify::Event::new(notify::EventKind::Other),
        };
        let _ = tx.send(event);
    })
    .map_err(|source| ServeError::Watch { path: root.to_path_buf(), source })?;
    notify::Watcher::watch(&mut watcher, root, notify::RecursiveMode::Recursive).map_err(|source| ServeError::Watch { path: root.to_path_buf(), source })?;
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_a_linked_file_names_the_links() {
        let links = Links(vec![
            (PathBuf::from("/kb/shared/a.toml"), PathBuf::from("/kb/content/rd/a.toml")),
            (PathBuf::from("/kb/elsewhere"), PathBuf::from("/kb/content/linked")),
        ]);
        let named = |p: &str| links.aliases(Path::new(p)).collect::<Vec<_>>();
        assert_eq!(named("/kb/shared/a.toml"), [PathBuf::from("/kb/content/rd/a.toml")]);
        assert_eq!(named("/kb/elsewhere/x/b.toml"), [PathBuf::from("/kb/content/linked/x/b.toml")]);
        assert!(named("/kb/shared/a.toml.swp").is_empty() && named("/kb/elsewhere2/b.toml").is_empty());
    }
}
