//! `fixbook init` and `fixbook new`: a new knowledge base, and a new record with every key
//! written out and explained, both building at once.

use std::path::{Path, PathBuf};

use crate::config::{SiteConfig, SITE_FILE};
use crate::diagnostic::closest;
use crate::fs::{self, FsError};
use crate::url;

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{} already exists and is not empty, so nothing was written", .0.display())]
    NotEmpty(PathBuf),
    #[error("{} already exists, so it was left as it is", .0.display())]
    Exists(PathBuf),
    #[error("{} has no site.toml: it is not a knowledge base", .0.display())]
    NoSite(PathBuf),
    #[error("site.toml has errors:\n{0}")]
    BadSite(String),
    #[error("unknown product `{product}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownProduct { product: String, suggestion: Option<String>, known: Vec<String> },
    #[error("the code must not be empty")]
    EmptyCode,
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl ScaffoldError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ScaffoldError::NotEmpty(_) => Some("choose a new folder name, e.g. `fixbook init my-help-center`".into()),
            ScaffoldError::Exists(_) => Some("edit that file, or choose another code".into()),
            ScaffoldError::NoSite(_) => Some("run this inside a knowledge base, pass --dir, or create one with `fixbook init DIR`".into()),
            ScaffoldError::UnknownProduct { known, .. } => {
                Some(format!("products in site.toml: {}; add a [products.KEY] table for a new one", known.join(", ")))
            }
            _ => None,
        }
    }
}

const SITE_TEMPLATE: &str = include_str!("scaffold/site.toml");
const EXAMPLE_RECORD: &str = include_str!("scaffold/example.toml");
const RECORD_TEMPLATE: &str = include_str!("scaffold/record.toml");

/// `fixbook init DIR`: site.toml, one example record and a .gitignore in a new or empty folder.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, ScaffoldError> {
    if dir.exists() && (!dir.is_dir() || fs::read_dir(dir)?.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
    }
    let files = [
        (dir.join(SITE_FILE), SITE_TEMPLATE),
        (dir.join("content/example-app/e1001.toml"), EXAMPLE_RECORD),
        (dir.join(".gitignore"), "# Written by fixbook build and fixbook search.\n/public/\n/.public.fixbook-*/\n/.fixbook-cache/\n"),
    ];
    for (path, text) in &files {
        fs::create_dir_all(path.parent().unwrap_or(dir))?;
        fs::write(path, text.as_bytes())?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// `fixbook new PRODUCT CODE`: `content/PRODUCT/<code slug>.toml`, never over an existing file.
pub fn new_record(root: &Path, product: &str, code: &str) -> Result<PathBuf, ScaffoldError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(ScaffoldError::EmptyCode);
    }
    let site_file = root.join(SITE_FILE);
    if !site_file.is_file() {
        return Err(ScaffoldError::NoSite(root.to_path_buf()));
    }
    let config = SiteConfig::from_file(&crate::fs::Inputs::new(root), &site_file, Path::new(SITE_FILE))
        .map_err(|errors| ScaffoldError::BadSite(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")))?;
    if config.product(product).is_none() {
        let known: Vec<String> = config.product_keys().map(str::to_string).collect();
        let suggestion = closest(product, known.iter().map(String::as_str)).map(str::to_string);
        return Err(ScaffoldError::UnknownProduct { product: product.to_string(), suggestion, known });
    }
    let path = root.join("content").join(product).join(format!("{}.toml", url::code_slug(code)));
    if path.exists() {
        return Err(ScaffoldError::Exists(path));
    }
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let title = format!("Error {code}: what the user sees, in a few words");
    let values = [("{code}", quoted(code)), ("{product}", quoted(product)), ("{title}", quoted(&title))];
    // One pass, so a code that happens to contain "{title}" stays as written.
    let mut text = String::with_capacity(RECORD_TEMPLATE.len() + 64);
    let mut rest = RECORD_TEMPLATE;
    while let Some((at, (key, value))) = values.iter().filter_map(|(k, v)| rest.find(k).map(|at| (at, (k, v)))).min_by_key(|(at, _)| *at) {
        text.push_str(&rest[..at]);
        text.push_str(value);
        rest = &rest[at + key.len()..];
    }
    text.push_str(rest);
    fs::create_dir_all(path.parent().unwrap_or(root))?;
    fs::write(&path, text.as_bytes())?;
    Ok(path)
}
