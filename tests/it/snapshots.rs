//! The record page's HTML, as a reviewed snapshot (tests/it/snapshots/).

use crate::support::{build, fixture};

#[test]
fn record_page_html() {
    let site = build(&fixture("base"));
    insta::assert_snapshot!("record_page_rd_0xc07", site.read("rd/0xc07/index.html"));
}
