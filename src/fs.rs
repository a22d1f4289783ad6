//! File-system calls whose errors always name the path they were about.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

pub type FsResult<T> = Result<T, FsError>;

fn named<T>(action: &'static str, path: &Path, r: io::Result<T>) -> FsResult<T> {
    r.map_err(|source| FsError { action, path: path.to_path_buf(), source })
}

pub fn read_to_string(path: &Path) -> FsResult<String> {
    named("read", path, std::fs::read_to_string(path))
}

pub fn read(path: &Path) -> FsResult<Vec<u8>> {
    named("read", path, std::fs::read(path))
}

pub fn write(path: &Path, bytes: &[u8]) -> FsResult<()> {
    named("write", path, std::fs::write(path, bytes))
}

pub fn create_dir_all(path: &Path) -> FsResult<()> {
    named("create folder", path, std::fs::create_dir_all(path))
}

pub fn create_dir(path: &Path) -> FsResult<()> {
    named("create folder", path, std::fs::create_dir(path))
}

pub fn remove_dir_all(path: &Path) -> FsResult<()> {
    named("remove folder", path, std::fs::remove_dir_all(path))
}

pub fn rename(from: &Path, to: &Path) -> FsResult<()> {
    named("move a folder into place at", to, std::fs::rename(from, to))
}

pub fn read_dir(path: &Path) -> FsResult<std::fs::ReadDir> {
    named("list", path, std::fs::read_dir(path))
}
