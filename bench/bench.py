#!/usr/bin/env python3
"""Build-time benchmark: Fixbook against Hugo on the same generated corpus, same session.

    python3 bench/bench.py [--sizes 1000 10000] [--runs 3] [--work /tmp/fixbook-bench]

For each size it generates a corpus with ../shared/bench/gen_corpus.py (kb and hugo formats,
seed 1, cached between runs), builds it once to warm the page cache, then `--runs` more times,
and prints the median wall time (min-max), the median peak memory and the output size. Hugo is
measured only when `hugo` is on PATH. Standard library only; the machine is noisy, so compare
ratios from one run, not absolute numbers across runs.
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    args = ap.parse_args()
    if not GEN.exists():
        sys.exit(f"corpus generator not found at {GEN}")

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    fixbook = ROOT / "target" / "release" / "fixbook"
    hugo = shutil.which("hugo")
    args.work.mkdir(parents=True, exist_ok=True)

    rows = []
    for n in args.sizes:
        kb = corpus(args.work, n, "kb")
        out = args.work / f"out-fixbook-{n}"
        med, lo, hi, rss = measure([str(fixbook), "build", str(kb), "--out", str(out), "--quiet", "--clean"], args.runs)
        size, files = du(out)
        rows.append(("Fixbook build", n, med, lo, hi, rss, size, files))
        if hugo:
            src = corpus(args.work, n, "hugo")
            hout = args.work / f"out-hugo-{n}"
            med_h, lo_h, hi_h, rss_h = measure(
                [hugo, "--source", str(src), "--destination", str(hout), "--quiet"], args.runs,
                before=lambda: shutil.rmtree(hout, ignore_errors=True))
            size_h, files_h = du(hout)
            rows.append(("Hugo build", n, med_h, lo_h, hi_h, rss_h, size_h, files_h))
            rows.append(("  Hugo / Fixbook", n, med_h / med, None, None, rss_h / rss, None, None))

    print(f"\n{'job':<18} {'records':>8} {'median s':>9} {'min-max s':>14} {'peak MiB':>9} {'output MB':>10} {'files':>8}")
    for job, n, med, lo, hi, rss, size, files in rows:
        if lo is None:
            print(f"{job:<18} {n:>8} {med:>8.1f}x {'':>14} {rss:>8.1f}x")
        else:
            print(f"{job:<18} {n:>8} {med:>9.2f} {f'{lo:.2f}-{hi:.2f}':>14} {rss:>9.0f} {size:>10.1f} {files:>8}")
    print(f"\n{args.runs} measured runs each after one warm-up; {os.cpu_count()} CPUs; corpora in {args.work}")


if __name__ == "__main__":
    main()
