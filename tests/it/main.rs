//! Integration tests: each module builds fixture knowledge bases (tests/fixtures/) or the
//! bundled sample and checks what a user would see.

mod accessibility;
mod browser;
mod build;
mod bundle;
mod check;
mod crash;
mod errors;
mod export;
mod fuzz;
mod guide;
mod hostile;
mod input_safety;
mod limits;
mod output;
mod output_safety;
mod paths;
mod relevance;
mod scaffold;
mod search;
mod search_ui;
mod serve;
mod serve_safety;
mod snapshots;
mod support;
mod terminal;
mod text_safety;
mod theme;
mod watch;
mod webdriver;
