#!/usr/bin/env python3
"""Build-time benchmark: Fixbook (site + search index, one command) against Hugo (site) plus
Pagefind (search index of Hugo's output) on the same generated corpus, in the same session.

    python3 bench/bench.py [--sizes 1000 10000] [--runs 3] [--work /tmp/fixbook-bench]
    python3 bench/bench.py --sizes 100000 --runs 1        # opt-in: about 10 minutes

For each size it generates a corpus with ../shared/bench/gen_corpus.py (kb and hugo formats,
seed 1, cached between runs), runs each job once to warm the page cache (Fixbook with
`--clean`, so that it builds from nothing every time), then `--runs` more
times, and prints the median wall time (min-max), the median peak memory, output size and
file count, the ratio (Hugo + Pagefind) / Fixbook, and Fixbook's time per stage (`--timings`).
Hugo is measured when `hugo` is on PATH (apt-get install hugo); Pagefind 1.6 is installed
from npm into bench/node_modules on first use (--no-pagefind skips it). Before each run, the
previous output is moved aside into WORK/trash, outside the timing, for every tool, and the
trash is removed when the benchmark ends. Removing it between runs instead would measure the
file system more than the tools: ext4 without a journal passes over every inode freed in the
last minute or more (`recently_deleted` in fs/ext4/ialloc.c), so making 20,000 files and
folders right after removing as many took 3 to 6 times as long. For the same reason, leave a
few minutes between two benchmarks. The machine is noisy: compare ratios from one run, not
absolute numbers across runs.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_corpus.py"


def run_once(cmd, cwd=None):
    """Wall seconds and peak RSS (MiB) of one whole-process run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def measure(cmd, runs, before=None):
    samples = []
    for i in range(runs + 1):
        if before:
            before()
        wall, rss = run_once(cmd)
        if i > 0:  # the first run warms the page cache
            samples.append((wall, rss))
    walls = [w for w, _ in samples]
    return statistics.median(walls), min(walls), max(walls), statistics.median(r for _, r in samples)


class Trash:
    """Outputs moved aside between runs, removed at the end (see the module's notes)."""

    def __init__(self, work):
        self.dir = work / "trash"
        self.count = 0

    def move(self, path):
        if path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            self.count += 1
            path.rename(self.dir / f"{path.name}-{os.getpid()}-{self.count}")

    def empty(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def du(path):
    total = files = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            total += os.path.getsize(os.path.join(dirpath, n))
            files += 1
    return total / 1e6, files


def corpus(work, n, fmt):
    out = work / f"c{n}" / fmt
    if not (out / "content").exists():
        subprocess.run([sys.executable, str(GEN), "--records", str(n), "--format", fmt, "--out", str(out), "--force"],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def pagefind_bin():
    """The extended binary itself (npx's wrapper would be measured otherwise)."""
    npm = ROOT / "bench" / "node_modules"
    binary = npm / "@pagefind" / "linux-x64" / "bin" / "pagefind_extended"
    if not binary.exists():
        subprocess.run(["npm", "install", "--prefix", str(ROOT / "bench"), "--no-save", "--silent", "pagefind@1.6.0"], check=True)
    return binary if binary.exists() else npm / ".bin" / "pagefind"


def stages(fixbook, kb, out, trash):
    """Fixbook's own split of one build: [(stage, seconds, peak MiB)]."""
    trash.move(out)
    r = subprocess.run([str(fixbook), "build", str(kb), "--out", str(out), "--clean", "--timings"], capture_output=True, text=True, check=True)
    rows = []
    for line in (r.stdout + r.stderr).splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] in ("load", "validate", "render", "index", "write"):
            rows.append((parts[0], float(parts[3]), float(parts[4])))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    ap.add_argument("--no-pagefind", action="store_true", help="skip Pagefind")
    args = ap.parse_args()
    if not GEN.exists():
        sys.exit(f"corpus generator not found at {GEN}")

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    fixbook = ROOT / "target" / "release" / "fixbook"
    hugo = shutil.which("hugo")
    args.work.mkdir(parents=True, exist_ok=True)
    trash = Trash(args.work)
    try:
        report(args, fixbook, hugo, trash)
    finally:
        trash.empty()


def report(args, fixbook, hugo, trash):
    """Runs every job and prints the tables."""
    pagefind = None if args.no_pagefind or not hugo else pagefind_bin()
    rows, table, splits = [], [], []
    for n in args.sizes:
        kb = corpus(args.work, n, "kb")
        out = args.work / f"out-fixbook-{n}"
        fx = measure([str(fixbook), "build", str(kb), "--out", str(out), "--clean", "--quiet"], args.runs,
                     before=lambda: trash.move(out))
        size, files = du(out)
        rows.append(("Fixbook build + search", n, *fx, size, files))
        splits.append((n, stages(fixbook, kb, out, trash)))
        line = {"n": n, "fixbook": fx[0], "fixbook_rss": fx[3], "fixbook_files": files}
        if hugo:
            src = corpus(args.work, n, "hugo")
            hout = args.work / f"out-hugo-{n}"
            hg = measure([hugo, "--source", str(src), "--destination", str(hout), "--quiet"], args.runs,
                         before=lambda: trash.move(hout))
            size_h, files_h = du(hout)
            rows.append(("Hugo build", n, *hg, size_h, files_h))
            line.update(hugo=hg[0], hugo_rss=hg[3])
            if pagefind:
                pf = measure([str(pagefind), "--site", str(hout), "--quiet"], args.runs,
                             before=lambda: trash.move(hout / "pagefind"))
                size_p, files_p = du(hout / "pagefind")
                rows.append(("Pagefind index", n, *pf, size_p, files_p))
                line.update(pagefind=pf[0], pagefind_rss=pf[3], peer_files=files_h)
        table.append(line)

    print(f"\n{'job':<24} {'records':>8} {'median s':>9} {'min-max s':>14} {'peak MiB':>9} {'output MB':>10} {'files':>8}")
    for job, n, med, lo, hi, rss, size, files in rows:
        print(f"{job:<24} {n:>8} {med:>9.2f} {f'{lo:.2f}-{hi:.2f}':>14} {rss:>9.0f} {size:>10.1f} {files:>8}")

    print("\n| records | Fixbook (site + search) | peak | Hugo | Pagefind | Hugo + Pagefind | peak | (Hugo + Pagefind) / Fixbook |")
    print("|---|---|---|---|---|---|---|---|")
    for t in table:
        peer = t.get("hugo", 0) + t.get("pagefind", 0)
        peer_rss = max(t.get("hugo_rss", 0), t.get("pagefind_rss", 0))
        cell = lambda k, unit="s": f"{t[k]:.2f} {unit}" if k in t else "-"
        ratio = f"**{peer / t['fixbook']:.1f}x** time, {peer_rss / t['fixbook_rss']:.1f}x memory" if "pagefind" in t else "-"
        print(f"| {t['n']:,} | {t['fixbook']:.2f} s | {t['fixbook_rss']:.0f} MiB | {cell('hugo')} | {cell('pagefind')} | "
              f"{peer:.2f} s | {peer_rss:.0f} MiB | {ratio} |" if "pagefind" in t else
              f"| {t['n']:,} | {t['fixbook']:.2f} s | {t['fixbook_rss']:.0f} MiB | {cell('hugo')} | - | - | - | - |")

    print("\nFixbook per stage (one --timings run; render and index run in parallel, write spans them):")
    print(f"{'records':>8} " + " ".join(f"{s:>16}" for s in ("load", "validate", "render", "index", "write")))
    for n, split in splits:
        by = {name: (sec, mib) for name, sec, mib in split}
        print(f"{n:>8} " + " ".join(f"{by[s][0]:>7.2f} s {by[s][1]:>4.0f} MiB" if s in by else f"{'-':>16}" for s in ("load", "validate", "render", "index", "write")))
    print(f"\n{args.runs} measured runs each after one warm-up; {os.cpu_count()} CPUs; corpora in {args.work}")


if __name__ == "__main__":
    main()
