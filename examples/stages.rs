//! Times the CPU-bound stages of a build alone, with nothing written to disk:
//!
//!     cargo run --release --example stages -- KB [index|index-kept|data|render|render-tera] [runs]
//!
//! `fixbook build --timings` runs render and index side by side and writes files, so neither
//! stage's own cost shows there; this loads the knowledge base once and runs one stage
//! `runs` times (default 3), rendering into a sink that keeps nothing. Uses the system
//! allocator, not the binary's mimalloc: compare runs of this example with each other.
//! `index-kept` times the index from terms analysed beforehand, as an incremental build makes it.
//! `data` makes the sitemap, feed and records.json alone.
//! `render-tera` renders record pages and listings through the Tera templates even though the
//! default theme's are not overridden, to show what writing them without Tera buys.

use std::time::Instant;

struct Discard;

impl fixbook::output::Sink for Discard {
    fn put(&self, _: &str, bytes: &[u8]) -> Result<(), fixbook::fs::FsError> {
        std::hint::black_box(bytes);
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(std::path::PathBuf::from) else {
        eprintln!("usage: cargo run --release --example stages -- KB [index|index-kept|data|render|render-tera] [runs]");
        std::process::exit(2);
    };
    let stage = args.next().unwrap_or_else(|| "index".into());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let started = Instant::now();
    let site = match fixbook::load_site(&root) {
        Ok(site) => site,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    eprintln!("load + validate: {:.3} s, {} records", started.elapsed().as_secs_f64(), site.records.len());
    let mut theme = fixbook::theme::Theme::load(&site.root).expect("the theme loads");
    if stage == "render-tera" {
        theme.compiled_record = false;
        theme.compiled_listings = false;
    }
    for _ in 0..runs {
        let t = Instant::now();
        match stage.as_str() {
            "index" => {
                let files = fixbook::search::index::build(&site);
                eprintln!("index: {:.3} s, {} files", t.elapsed().as_secs_f64(), files.len());
            }
            "index-kept" => {
                // What an incremental build pays: the terms were analysed by an earlier build.
                let terms = fixbook::search::terms::Terms::analyse(&site);
                let t = Instant::now();
                let files = fixbook::search::index::Index::new(&site, terms).files(&site);
                eprintln!("index from kept terms: {:.3} s, {} files", t.elapsed().as_secs_f64(), files.len());
            }
            "data" => {
                let files = fixbook::render::data_files(&site, fixbook::LinkStyle::Absolute);
                let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
                eprintln!("data files: {:.3} s, {} files, {bytes} bytes", t.elapsed().as_secs_f64(), files.len());
            }
            "render" | "render-tera" => {
                let r = fixbook::render::render(&site, &theme, &Discard, fixbook::LinkStyle::Absolute, &fixbook::render::PageSet::all(), &|| {})
                    .expect("the site renders");
                eprintln!("{stage}: {:.3} s, {} files", t.elapsed().as_secs_f64(), r.files);
            }
            other => {
                eprintln!("unknown stage {other}: index, index-kept, data, render or render-tera");
                std::process::exit(2);
            }
        }
    }
}
