//! Crash safety: a build killed with SIGKILL at any moment leaves the output folder as the
//! complete old site or the complete new one, and the next build cleans up after it; a full
//! disk fails cleanly with the old site intact.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::support::{sample_kb, tree};

/// The sample plus `extra` generated records, so that a build lasts long enough to be cut.
fn big_kb(extra: usize) -> tempfile::TempDir {
    let kb = sample_kb();
    let dir = kb.path().join("content/remote-desktop");
    for n in 0..extra {
        let text = format!(
            "code = \"0x{:x}\"\nproduct = \"remote-desktop\"\ntitle = \"Generated error {n}\"\nsummary = \"A generated record for the crash test.\"\n\
             tags = [\"generated\"]\n[[causes]]\nid = \"c\"\ntitle = \"A cause\"\nlikelihood = \"high\"\n[[fixes]]\ntitle = \"A fix\"\ndifficulty = \"easy\"\ncauses = [\"c\"]\n\
             [[steps]]\ntitle = \"Step one\"\nbody = \"Do **this**, then that.\"\n",
            0x10_0000 + n
        );
        std::fs::write(dir.join(format!("gen-{n}.toml")), text).unwrap();
    }
    kb
}

fn build(kb: &Path, out: &Path, clean: bool) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fixbook"));
    cmd.arg("build").arg(kb).arg("--out").arg(out).arg("--quiet");
    if clean {
        cmd.arg("--clean");
    }
    cmd.spawn().unwrap()
}

/// The summary of one record: an edit that a build without --clean renders incrementally.
fn set_summary(kb: &Path, summary: &str) {
    let p = kb.join("content/remote-desktop/gen-7.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let line = text.lines().find(|l| l.starts_with("summary = ")).unwrap().to_string();
    std::fs::write(&p, text.replacen(&line, &format!("summary = \"{summary}\""), 1)).unwrap();
}

fn set_title(kb: &Path, title: &str) {
    let p = kb.join("site.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let line = text.lines().find(|l| l.starts_with("title = ")).unwrap().to_string();
    std::fs::write(&p, text.replacen(&line, &format!("title = \"{title}\""), 1)).unwrap();
}

fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.contains(".fixbook-")).collect()
}

#[test]
fn a_killed_build_leaves_the_old_site_or_the_new_one() {
    let kb = big_kb(400);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("public");
    // Two complete sites to compare with, one record's summary telling them apart.
    let full = |summary: &str| {
        set_summary(kb.path(), summary);
        assert!(build(kb.path(), &out, true).wait().unwrap().success());
        tree(&out)
    };
    let a = full("Version A");
    let b = full("Version B");
    let started = Instant::now();
    assert!(build(kb.path(), &out, true).wait().unwrap().success());
    let duration = started.elapsed();
    assert_ne!(a, b);

    let mut seen = (0, 0, 0);
    let runs = 48;
    let mut current = b.clone();
    for run in 0..runs {
        let (summary, expected) = if run % 2 == 0 { ("Version A", &a) } else { ("Version B", &b) };
        set_summary(kb.path(), summary);
        // Spread the kills over the whole build, swap included.
        let delay = duration.mul_f64((run as f64 + 0.5) / runs as f64 * 1.1);
        // Two builds in three reuse the previous output's unchanged pages.
        let mut child = build(kb.path(), &out, run % 3 == 0);
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let now = tree(&out);
        if now == *expected {
            seen.1 += 1;
            current = now;
        } else {
            assert!(now == current, "run {run} (killed after {delay:?}, {status}): the output is neither the old site nor the new one");
            seen.0 += 1;
        }
        seen.2 += usize::from(status.success());
    }
    // Killed builds leave only marked staging folders, which the next build removes.
    assert!(build(kb.path(), &out, true).wait().unwrap().success());
    assert_eq!(leftovers(work.path()), Vec::<String>::new());
    eprintln!("kill test: {runs} builds killed over {duration:?}: {} left the old site, {} the new one ({} had finished)", seen.0, seen.1, seen.2);
    assert!(seen.0 > 0, "some kills landed before the swap");
}

/// A full disk: a tmpfs of a size that holds one site but not two (needs root to mount).
#[test]
fn a_full_disk_fails_cleanly_with_the_old_site_intact() {
    let mount = tempfile::tempdir().unwrap();
    let ok = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1600k", "tmpfs"]).arg(mount.path()).status().is_ok_and(|s| s.success());
    if !ok {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "full-disk test skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mount.path());
    let kb = sample_kb();
    let out = mount.path().join("public");
    let first = Command::new(env!("CARGO_BIN_EXE_fixbook")).arg("build").arg(kb.path()).arg("--out").arg(&out).output().unwrap();
    assert!(first.status.success(), "one site fits: {}", String::from_utf8_lossy(&first.stderr));
    let before = tree(&out);
    set_title(kb.path(), "A new title");
    let second = Command::new(env!("CARGO_BIN_EXE_fixbook")).arg("build").arg(kb.path()).arg("--out").arg(&out).arg("--clean").output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "two do not: {stderr}");
    assert!(stderr.contains("No space left on device") && stderr.contains(".public.fixbook-staging-"), "the error names the file and the cause: {stderr}");
    assert_eq!(tree(&out), before, "the old site is intact");
    assert_eq!(leftovers(mount.path()), Vec::<String>::new(), "the staging folder was removed");
}
