use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Everything this binary prints can quote record text, file names or source lines: these
// stand in for the standard macros in this file so that no line reaches the terminal before
// its control characters are made visible (`fixbook::terminal::inert`).
macro_rules! println {
    ($($arg:tt)*) => { ::std::println!("{}", fixbook::terminal::inert(&format!($($arg)*))) };
}
macro_rules! eprintln {
    ($($arg:tt)*) => { ::std::eprintln!("{}", fixbook::terminal::inert(&format!($($arg)*))) };
}

// A build makes millions of small, short-lived strings across threads; mimalloc's per-thread
// heaps made a 10,000-record build faster than the system allocator (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc asks for transparent huge pages, so the first touch of any part of its heap
/// zeroes 2 MiB at once. Much of a build's memory is short-lived and sparsely touched: with
/// 4 KiB pages a 10,000-record build peaks at 212 MiB instead of 232-261 MiB, and a warm
/// rebuild spends less time in the kernel (at 100,000 records it makes no difference).
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

/// `serve` holds a file descriptor per open connection, and idle ones stay until they time
/// out: with the usual soft limit of 1,024, a thousand of them would leave none for new
/// requests. The hard limit is what this user may have anyway.
#[cfg(target_os = "linux")]
fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn raise_open_file_limit() {}

/// Fixbook builds help-center sites from folders of TOML error-code records.
#[derive(Parser)]
#[command(name = "fixbook", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site from a knowledge-base folder (site.toml + content/).
    Build {
        /// The knowledge-base folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the site; replaced as a whole only if the build succeeds.
        #[arg(long, short, default_value = "public")]
        out: PathBuf,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
        /// Link pages relative to each other, naming index.html: for a sub-path, a file
        /// share or opening the files straight from disk.
        #[arg(long)]
        relative_links: bool,
        /// Build from nothing: read and analyse every record and render every page, ignoring
        /// what earlier builds kept in DIR/.fixbook-cache/.
        #[arg(long)]
        clean: bool,
        /// Print where the time went, stage by stage, with the peak memory after each.
        #[arg(long)]
        timings: bool,
        /// Keep running: after each change to the knowledge base, rebuild only what it
        /// affects and swap the new site in, writing only the files that differ. Stop with
        /// Ctrl-C.
        #[arg(long, conflicts_with_all = ["clean", "timings"])]
        watch: bool,
    },
    /// Write the site for reading offline: a zip that works unzipped anywhere, opened by
    /// double-click, search included.
    Bundle {
        /// The knowledge-base folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The file to write (default: the site's title as a file name, e.g.
        /// help-center.zip, or help-center.html with --single-file).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// One self-contained HTML file (pages, search, styles and scripts inline) instead of a zip.
        #[arg(long)]
        single_file: bool,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Export the knowledge base as pages for another wiki.
    Export {
        /// The knowledge-base folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// What to write.
        #[arg(long, short, value_enum)]
        format: fixbook::ExportFormat,
        /// The folder to write (default: export-FORMAT); replaced as a whole.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// How Markdown pages link to each other: `files` (Page.md, for folders and note
        /// tools) or `pages` (Page, for GitHub and GitLab wikis).
        #[arg(long, value_enum, default_value_t)]
        links: fixbook::export::LinkForm,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check the knowledge base without writing: every build error, then content rules.
    Check {
        /// The knowledge-base folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// `text` for people, `json` for CI annotations.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Build into memory, serve on this computer, rebuild and reload pages on every change.
    Serve {
        /// The knowledge-base folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The port (0: any free port).
        #[arg(long, short, default_value_t = 8000)]
        port: u16,
        /// The address to listen on; 0.0.0.0 makes the preview reachable from other machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Also answer to requests for this host name (repeatable); by default only to
        /// localhost, 127.0.0.1, [::1] and the --bind address.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Make a new knowledge base (site.toml, one example record) in a new or empty folder.
    Init {
        /// The folder to create.
        dir: PathBuf,
    },
    /// Write a new record with every key present and explained: content/PRODUCT/CODE.toml.
    New {
        /// A product key of site.toml.
        product: String,
        /// The error code, as users see it.
        code: String,
        /// The knowledge-base folder.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Search the knowledge base from the terminal: codes in any spelling, words, typos.
    #[command(allow_negative_numbers = true)]
    Search {
        /// An optional knowledge-base folder (default: the current one), then the query.
        #[arg(value_name = "[DIR] QUERY", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Print the hits as a JSON array (id, code, title, product, summary, url, score).
        #[arg(long)]
        json: bool,
        /// How many hits to show.
        #[arg(long, short = 'n', default_value_t = 10)]
        limit: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// `build --watch`: one line per build, errors as `build` prints them; runs until stopped.
fn build_watch(opts: &fixbook::BuildOptions, quiet: bool) -> ExitCode {
    let out = opts.out.display().to_string();
    let mut first = true;
    let result = fixbook::watch::watch(opts, &mut |event| match event {
        Ok(r) if first => {
            first = false;
            if !quiet {
                println!(
                    "Built {} records into {out} in {:.2} s; watching {} for changes (Ctrl-C stops)",
                    r.records,
                    r.swapped_ms / 1000.0,
                    opts.root.display()
                );
            }
        }
        Ok(r) => {
            if !quiet {
                println!("Rebuilt {} in {:.0} ms; {} files written, site swapped in at {:.0} ms", r.update, r.patched_ms, r.files, r.swapped_ms);
            }
        }
        Err(e) => {
            report(&e, e.hint());
            eprintln!("{out} is left as it was; waiting for the next change");
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e, e.hint()),
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Build { dir, out, quiet, relative_links, clean, timings, watch } => {
            let links = if relative_links { fixbook::LinkStyle::Relative } else { fixbook::LinkStyle::Absolute };
            let opts = fixbook::BuildOptions { root: dir, out: out.clone(), progress: !quiet, links, clean };
            if watch {
                return build_watch(&opts, quiet);
            }
            match fixbook::build(&opts) {
                Ok(s) => {
                    if timings {
                        eprintln!("{:<10} {:>8} {:>8} {:>9} {:>10}", "stage", "start s", "end s", "seconds", "peak MiB");
                        for st in &s.stages {
                            eprintln!("{:<10} {:>8.3} {:>8.3} {:>9.3} {:>10.0}", st.name, st.start, st.end, st.end - st.start, st.peak_mib);
                        }
                    }
                    if quiet {
                    } else if s.rendered == 0 {
                        println!("Nothing changed since the last build: {} is up to date ({} records, {:.2} s)", out.display(), s.records, s.seconds);
                    } else if s.rendered < s.pages {
                        println!(
                            "Built {} records into {}: {} of {} pages rendered again, {} files written in {:.2} s",
                            s.records,
                            out.display(),
                            s.rendered,
                            s.pages,
                            s.files,
                            s.seconds
                        );
                    } else {
                        println!("Built {} records into {}: {} pages, {} files in {:.2} s", s.records, out.display(), s.pages, s.files, s.seconds);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report(&e, e.hint()),
            }
        }
        Command::Bundle { dir, out, quiet, single_file } => match fixbook::bundle(&fixbook::BundleOptions { root: dir, out, single_file }) {
            Ok(s) => {
                if quiet {
                } else if single_file {
                    println!(
                        "Bundled {} records into {}: one file, {:.1} MB in {:.2} s. Open it in a browser.",
                        s.records,
                        s.out.display(),
                        s.bytes as f64 / 1e6,
                        s.seconds
                    );
                } else {
                    println!(
                        "Bundled {} records into {}: {} files, {:.1} MB in {:.2} s. Unzip it and open index.html.",
                        s.records,
                        s.out.display(),
                        s.files,
                        s.bytes as f64 / 1e6,
                        s.seconds
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => report(&e, e.hint()),
        },
        Command::Export { dir, format, out, links, quiet } => {
            let name = format!("{format:?}").to_lowercase();
            let out = out.unwrap_or_else(|| PathBuf::from(format!("export-{name}")));
            match fixbook::export(&fixbook::ExportOptions { root: dir, format, out: out.clone(), links }) {
                Ok(s) => {
                    if !quiet {
                        println!("Exported {} records as {name} into {}: {} files in {:.2} s", s.records, out.display(), s.files, s.seconds);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report(&e, e.hint()),
            }
        }
        Command::Check { dir, format } => {
            let report = fixbook::check(&dir);
            if format == CheckFormat::Json {
                let json = fixbook::check::json(&report.findings, &report.errors.0);
                ::std::println!("{}", serde_json::to_string_pretty(&json).expect("JSON"));
            // JSON escapes controls itself
            } else {
                for d in report.errors.iter() {
                    println!("{d}\n");
                }
                for f in &report.findings {
                    let level = if f.level == fixbook::check::Level::Error { "error" } else { "warning" };
                    println!("{}\n", f.diagnostic.labelled(&format!("{level}[{}]", f.rule)));
                }
                let errors = report.errors.len() + report.findings.iter().filter(|f| f.level == fixbook::check::Level::Error).count();
                let warnings = report.findings.len() + report.errors.len() - errors;
                if errors + warnings == 0 {
                    println!("No problems in {} records.", report.records);
                } else {
                    println!("{errors} error{}, {warnings} warning{}", if errors == 1 { "" } else { "s" }, if warnings == 1 { "" } else { "s" });
                }
            }
            if report.failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Serve { dir, port, bind, open, allow_host } => {
            if !bind.is_loopback() {
                let (on, answers) = if bind.is_unspecified() {
                    ("every address of this computer".to_string(), "any of its IP addresses".to_string())
                } else {
                    (bind.to_string(), bind.to_string())
                };
                eprintln!(
                    "warning: --bind {bind} serves the preview on {on}: other computers on the network can read every page, the search data and the build errors.\nIt answers to {answers} and localhost; to use a host name, add --allow-host NAME."
                );
            }
            let opts = fixbook::serve::ServeOptions { root: dir.clone(), addr: std::net::SocketAddr::new(bind, port), allow_hosts: allow_host };
            raise_open_file_limit();
            let result = fixbook::serve::serve(&opts, |addr| {
                let url = format!("http://{addr}/");
                println!("Serving {} at {url} (Ctrl+C to stop)", dir.display());
                use std::io::Write;
                let _ = std::io::stdout().flush();
                if open {
                    let opener = if cfg!(target_os = "macos") {
                        "open"
                    } else if cfg!(windows) {
                        "explorer"
                    } else {
                        "xdg-open"
                    };
                    let _ = std::process::Command::new(opener).arg(&url).spawn();
                }
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    let e = fixbook::BuildError::from(e);
                    report(&e, e.hint())
                }
            }
        }
        Command::Init { dir } => match fixbook::scaffold::init(&dir) {
            Ok(files) => {
                for f in files {
                    println!("wrote {}", f.display());
                }
                println!("Build it with: fixbook build {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_scaffold(&e),
        },
        Command::New { product, code, dir } => match fixbook::scaffold::new_record(&dir, &product, &code) {
            Ok(path) => {
                println!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_scaffold(&e),
        },
        Command::Search { args, json, limit } => {
            let (dir, query) = match args.as_slice() {
                [query] => (PathBuf::from("."), query.as_str()),
                [dir, query] => (PathBuf::from(dir), query.as_str()),
                _ => unreachable!("clap allows one or two values"),
            };
            match fixbook::search(&dir, query, limit) {
                Ok(hits) if json => {
                    ::std::println!("{}", serde_json::to_string_pretty(&hits).expect("hits serialise")); // as above
                    ExitCode::SUCCESS
                }
                Ok(hits) => {
                    if hits.is_empty() {
                        println!("No records match \"{query}\".");
                    }
                    for (n, h) in hits.iter().enumerate() {
                        println!("{:>2}. {}  {}\n    {}\n    {}", n + 1, h.code, h.product, h.title, h.url);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report(&e, e.hint()),
            }
        }
    }
}

fn report_scaffold(e: &fixbook::scaffold::ScaffoldError) -> ExitCode {
    eprintln!("error: {e}");
    if let Some(h) = e.hint() {
        eprintln!("  hint: {h}");
    }
    ExitCode::FAILURE
}

fn report(e: &fixbook::BuildError, hint: Option<&str>) -> ExitCode {
    match e {
        fixbook::BuildError::Invalid(d) => eprintln!("{d}"),
        other => {
            // Our error messages already include their causes.
            eprintln!("error: {other}");
            if let Some(h) = hint {
                eprintln!("  hint: {h}");
            }
        }
    }
    ExitCode::FAILURE
}
