#!/usr/bin/env python3
"""Offline copies: size of the zip and of the single HTML file, and how long the single file
takes to open in headless Chromium.

    python3 bench/bundle_bench.py [--sizes 1000 10000] [--runs 3] [--work /tmp/fixbook-bench]

For the sample knowledge base and each generated corpus size (../shared/bench/gen_corpus.py,
seed 1, cached) it runs `fixbook bundle` and `fixbook bundle --single-file`, and opens the
single file from file:// `--runs` times: "ready" is the time from the navigation until the
home page's product cards are on screen (the router has run), median and worst. Needs
chromium + chromedriver. Standard library only.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from bench import corpus  # noqa: E402
from search_bench import Chromium  # noqa: E402

READY = """
const done = arguments[arguments.length - 1];
(function poll() { if (document.querySelector('.product-card')) done(true); else setTimeout(poll, 10); })();
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    fixbook = ROOT / "target" / "release" / "fixbook"
    browser = Chromium()
    print(f"{'knowledge base':<16} {'zip MB':>8} {'single MB':>10} {'ready median s':>15} {'worst s':>8}")
    try:
        for name, kb in [("sample", ROOT)] + [(f"{n:,} records", corpus(args.work, n, "kb")) for n in args.sizes]:
            out = args.work / "bundles"
            out.mkdir(parents=True, exist_ok=True)
            z, html = out / f"{kb.name}-{name.split()[0]}.zip", out / f"{kb.name}-{name.split()[0]}.html"
            for f in (z, html):
                f.unlink(missing_ok=True)
            subprocess.run([fixbook, "bundle", kb, "--out", z, "--quiet"], check=True)
            subprocess.run([fixbook, "bundle", kb, "--single-file", "--out", html, "--quiet"], check=True)
            times = []
            for _ in range(args.runs):
                browser.goto("about:blank")
                t0 = time.perf_counter()
                browser.goto(f"file://{html}")
                browser.run(READY)
                times.append(time.perf_counter() - t0)
            print(f"{name:<16} {z.stat().st_size / 1e6:>8.1f} {html.stat().st_size / 1e6:>10.1f} {statistics.median(times):>15.2f} {max(times):>8.2f}")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
