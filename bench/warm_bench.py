#!/usr/bin/env python3
"""Warm-rebuild benchmark: one record edited at a time in a copy of a generated knowledge
base, rebuilt two ways, in the same session:

- `fixbook build --watch`: the site is kept in memory; each edit is patched in and the new
  output swapped in. Its lines give the work from the end of the burst of changes to the site
  in memory, and to the swap.
- `fixbook build` run again after each edit: a new process that starts from what the last
  build kept in .fixbook-cache/ (the whole process is timed, and its --timings split shown).

    python3 bench/warm_bench.py [--size 10000] [--edits 10] [--work /tmp/fixbook-bench]

Edits alternate between a body text (one page changes) and a summary (the card changes:
listing pages, related records, search results and the records data change too).
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
LINE = re.compile(r"Rebuilt (.+) in (\d+) ms; (\d+) files written, site swapped in at (\d+) ms")


def corpus(work, n):
    kb = work / f"c{n}" / "kb"
    if not (kb / "content").exists():
        subprocess.run([sys.executable, str(GEN), "--records", str(n), "--format", "kb", "--out", str(kb), "--force"],
                       check=True, stdout=subprocess.DEVNULL)
    return kb


def edit(path, i):
    """A body edit on even steps, a summary edit on odd ones."""
    text = path.read_text()
    key = "summary" if i % 2 else "quick_answer"
    text, n = re.subn(rf'^{key} = "(.*)"$', lambda m: f'{key} = "Edit {i} {random.randint(0, 10**6)}: {m.group(1)[:60]}"',
                      text, count=1, flags=re.M)
    if n == 0:
        text = re.sub(r'^summary = "(.*)"$', lambda m: f'summary = "Edit {i}: {m.group(1)[:60]}"', text, count=1, flags=re.M)
    path.write_text(text)


def pick(kb, count):
    files = sorted(kb.glob("content/*/*.toml"))
    random.seed(7)
    return random.sample(files, count)


def watch(fixbook, kb, out, targets):
    proc = subprocess.Popen([str(fixbook), "build", "--watch", str(kb), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        if not first.startswith("Built"):
            sys.exit(f"build --watch did not start: {first}")
        rows = []
        for i, path in enumerate(targets):
            edit(path, i)
            line = proc.stdout.readline()
            m = LINE.search(line)
            if not m:
                sys.exit(f"unexpected line: {line}")
            rows.append((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))))
            time.sleep(0.3)
        return rows
    finally:
        proc.terminate()
        proc.wait()


def oneshot(fixbook, kb, out, targets):
    subprocess.run([str(fixbook), "build", str(kb), "--out", str(out), "--quiet"], check=True)
    rows = []
    for i, path in enumerate(targets):
        edit(path, i)
        start = time.perf_counter()
        r = subprocess.run([str(fixbook), "build", str(kb), "--out", str(out), "--timings"], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        stages = {}
        for line in r.stderr.splitlines():
            parts = line.rsplit(None, 4)
            if len(parts) == 5 and not line.startswith("stage"):
                stages[parts[0]] = (float(parts[1]), float(parts[2]))
        rows.append((wall, stages.get("write", (0, 0))[1]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    fixbook = ROOT / "target" / "release" / "fixbook"
    source = corpus(args.work, args.size)
    warm = args.work / f"warm-{args.size}"
    shutil.rmtree(warm, ignore_errors=True)
    shutil.copytree(source, warm / "kb")
    try:
        kb = warm / "kb"
        targets = pick(kb, args.edits)
        w = watch(fixbook, kb, warm / "watch-out", targets)
        o = oneshot(fixbook, kb, warm / "build-out", pick(kb, args.edits))
    finally:
        shutil.rmtree(warm, ignore_errors=True)

    print(f"\n{args.size:,} records, {args.edits} edits each, alternating body and summary; {os.cpu_count()} CPUs")
    print("\nfixbook build --watch (ms from the end of the burst of changes):")
    print(f"{'edit':>4} {'what':<36} {'site in memory':>15} {'swapped in':>11} {'files':>6}")
    for i, (what, patched, files, swapped) in enumerate(w):
        print(f"{i:>4} {what:<36} {patched:>15} {swapped:>11} {files:>6}")
    med = lambda xs: statistics.median(xs)
    print(f"median: site in memory {med([r[1] for r in w]):.0f} ms, swapped in {med([r[3] for r in w]):.0f} ms "
          f"(min {min(r[3] for r in w)}, max {max(r[3] for r in w)})")
    print("\nfixbook build after each edit (a new process each time):")
    print(f"median: whole process {med([r[0] for r in o]) * 1000:.0f} ms, swapped in at {med([r[1] for r in o]) * 1000:.0f} ms "
          f"(min {min(r[0] for r in o) * 1000:.0f}, max {max(r[0] for r in o) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
