use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { dir, out, quiet } => {
            let opts = fixbook::BuildOptions { root: dir, out: out.clone(), progress: !quiet };
            match fixbook::build(&opts) {
                Ok(s) => {
                    if !quiet {
                        println!(
                            "Built {} records into {}: {} pages, {} files in {:.2} s",
                            s.records,
                            out.display(),
                            s.pages,
                            s.files,
                            s.seconds
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report(&e, e.hint()),
            }
        }
    }
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
