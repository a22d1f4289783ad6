//! Search. `analyze` is the text analysis shared with the browser runtime: the same
//! specification (docs/search-analysis.md) is implemented in JavaScript and checked against
//! vectors this side generates.

pub mod analyze;
pub mod corpus;
pub mod doc;
pub mod encode;
pub mod engine;
pub mod index;
pub mod terms;
