//! Fixbook turns a folder of TOML error-code records into a help-center site.
//!
//! The pipeline, one module per stage:
//! `load` (walk + parse) -> `validate` (typed model, every error) -> `render` (Tera +
//! Markdown) -> `output` (atomic write).

pub mod config;
pub mod diagnostic;
pub mod fs;
pub mod load;
pub mod markdown;
pub mod record;
pub mod site;
pub mod url;
pub mod validate;
