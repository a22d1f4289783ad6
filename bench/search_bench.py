#!/usr/bin/env python3
"""Search benchmark: Fixbook's browser index against Pagefind on the same built site.

    python3 bench/search_bench.py [--sizes 1000 10000] [--queries 100] [--work /tmp/fixbook-bench]

For each size it generates a corpus with ../shared/bench/gen_corpus.py (seed 1, cached),
builds it with Fixbook (median of 3 builds after a warm-up), and reports:

- index size on disk (search/) and file count;
- bytes a first query downloads, measured in headless Chromium with the Resource Timing API:
  the engine scripts, manifest, shards and the metadata of the first 5 results, each as stored
  and gzip -9 (what a compressing host sends); median and worst over the query set;
- query latency in Chromium: each query's first run (shards fetched from a local http server)
  and a warm run, median and p95;
- Pagefind (npm package `pagefind`, installed into bench/node_modules on first use) indexing
  the same Fixbook output: index time, size, and bytes per query with
  ../shared/bench/pagefind_query_bytes.mjs (its data files are stored gzipped already).

Queries are drawn from the corpus (seeded): codes in several spellings (0x, upper case,
decimal, signed), symbolic names, title words, two-word phrases, and misspelt words.
Needs chromium + chromedriver (Debian packages) and node. Standard library only.
"""

import argparse
import functools
import gzip
import http.server
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(Path(__file__).parent))
from bench import corpus, du, measure  # noqa: E402


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


# --- queries -----------------------------------------------------------------------------

def spellings(code, rng):
    """What a person might type for `code`."""
    out = [code]
    c = code.lower()
    if c.startswith("0x"):
        h = c[2:]
        v = int(h, 16)
        out += [code.upper().replace("0X", "0x"), h, str(v)]
        if v >= 0x80000000 and v <= 0xFFFFFFFF:
            out.append(str(v - (1 << 32)))
        out.append("error " + c)
    return [rng.choice(out)]


def typo(word, rng):
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "double"])
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i] + word[i:]


def queries(kb, count, seed=7):
    rng = random.Random(seed)
    files = sorted(p for p in (kb / "content").rglob("*.toml"))
    records = [tomllib.loads(p.read_text()) for p in rng.sample(files, min(len(files), count * 2))]
    words = [w for r in records for w in r["title"].replace(":", " ").split() if w.isalpha() and len(w) >= 6]
    out = []
    while len(out) < count:
        r = rng.choice(records)
        kind = len(out) % 5
        if kind in (0, 1):
            out.append(spellings(r["code"], rng)[0])
        elif kind == 2:
            names = [a for a in r.get("aliases", []) if "_" in a] or [r["code"]]
            out.append(rng.choice(names))
        elif kind == 3:
            w = [x for x in r["title"].split() if x.isalpha() and len(x) > 3]
            out.append(" ".join(w[:2]) if len(w) >= 2 else rng.choice(words))
        else:
            out.append(typo(rng.choice(words).lower(), rng))
    return out


# --- a static server and just enough WebDriver ----------------------------------------------

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve(root):
    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


class Chromium:
    def __init__(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        driver = shutil.which("chromedriver")
        if not chromium or not driver:
            sys.exit("chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/status")
                break
            except OSError:
                time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.load(r)["value"]

    def goto(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script):
        self.call("POST", f"/session/{self.session}/timeouts", {"script": 600_000})
        return self.call("POST", f"/session/{self.session}/execute/async", {"script": script, "args": []})

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.proc.kill()


FIRST_QUERY = """
const done = arguments[arguments.length - 1];
const q = %s;
performance.clearResourceTimings();
performance.setResourceTimingBufferSize(10000);
const engine = FixbookSearch.open(document.querySelector('[data-fixbook-search]').dataset.fixbookSearch);
const t0 = performance.now();
engine.search(q).then(hits => engine.meta(hits.slice(0, 5).map(h => h.doc)).then(shown => {
  const t1 = performance.now();
  const files = performance.getEntriesByType('resource').map(e => [new URL(e.name).pathname, e.encodedBodySize]);
  done({ms: t1 - t0, hits: hits.length, first: shown[0] && shown[0].code, files});
})).catch(e => done({error: String(e)}));
"""

LATENCY = """
const done = arguments[arguments.length - 1];
const qs = %s;
const engine = FixbookSearch.open(document.querySelector('[data-fixbook-search]').dataset.fixbookSearch);
(async () => {
  await engine.ready;
  const cold = [], warm = [];
  for (const q of qs) {
    let t = performance.now();
    let hits = await engine.search(q); await engine.meta(hits.slice(0, 10).map(h => h.doc));
    cold.push(performance.now() - t);
    t = performance.now();
    hits = await engine.search(q); await engine.meta(hits.slice(0, 10).map(h => h.doc));
    warm.push(performance.now() - t);
  }
  return {cold, warm};
})().then(done, e => done({error: String(e)}));
"""


def gz(path):
    return len(gzip.compress(path.read_bytes(), 9))


def fixbook_queries(browser, origin, out, qs):
    """Per query: (bytes as stored, bytes gzipped, ms, first result) of a first query."""
    engine_files = ["/assets/fixbook-analyze.js", "/assets/fixbook-search.js"]
    rows = []
    for q in qs:
        browser.goto(origin + "/404.html")
        r = browser.run(FIRST_QUERY % json.dumps(q))
        if "error" in r:
            sys.exit(f"query {q!r} failed in Chromium: {r['error']}")
        paths = engine_files + [p for p, _ in r["files"] if p.startswith("/search/")]
        raw = sum((out / p.lstrip("/")).stat().st_size for p in paths)
        zipped = sum(gz(out / p.lstrip("/")) for p in paths)
        rows.append((q, raw, zipped, len(paths), r["ms"], r["first"]))
    browser.goto(origin + "/404.html")
    lat = browser.run(LATENCY % json.dumps(qs))
    return rows, lat


def pagefind_bin():
    local = ROOT / "bench" / "node_modules" / ".bin" / "pagefind"
    if not local.exists():
        subprocess.run(["npm", "install", "--prefix", str(ROOT / "bench"), "--no-save", "--silent", "pagefind@1.6.0"], check=True)
    return local


def pagefind(out, qs, runs):
    site = out.parent / (out.name + "-pagefind")
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(out, site)
    cmd = [str(pagefind_bin()), "--site", str(site), "--quiet"]
    med, _, _, rss = measure(cmd, runs, before=lambda: shutil.rmtree(site / "pagefind", ignore_errors=True))
    size, files = du(site / "pagefind")
    rows = []
    for q in qs:
        r = subprocess.run(["node", str(SHARED / "pagefind_query_bytes.mjs"), str(site / "pagefind"), q, "5"],
                           capture_output=True, text=True, check=True)
        j = json.loads(r.stdout)
        rows.append((q, j["total_bytes"], j["files"], j["search_ms"]))
    shutil.rmtree(site)
    return med, rss, size, files, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    ap.add_argument("--no-pagefind", action="store_true")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    fixbook = ROOT / "target" / "release" / "fixbook"
    args.work.mkdir(parents=True, exist_ok=True)
    browser = Chromium()
    report = []
    try:
        for n in args.sizes:
            kb = corpus(args.work, n, "kb")
            out = args.work / f"out-search-{n}"
            build, _, _, rss = measure([str(fixbook), "build", str(kb), "--out", str(out), "--quiet", "--clean"], args.runs)
            isize, ifiles = du(out / "search")
            qs = queries(kb, args.queries)
            httpd, origin = serve(out)
            rows, lat = fixbook_queries(browser, origin, out, qs)
            httpd.shutdown()
            raw = [r[1] for r in rows]
            zipped = [r[2] for r in rows]
            print(f"\n== {n} records: Fixbook build (site + search index) {build:.2f} s median, {rss:.0f} MiB peak")
            print(f"   index: {isize:.1f} MB in {ifiles} files")
            print(f"   first query downloads (engine + manifest + shards + 5 results' metadata), {len(qs)} queries:")
            print(f"     as stored: median {statistics.median(raw):,.0f} B, p95 {pct(raw, 95):,.0f} B, worst {max(raw):,} B")
            print(f"     gzip -9:   median {statistics.median(zipped):,.0f} B, p95 {pct(zipped, 95):,.0f} B, worst {max(zipped):,} B")
            print(f"     requests:  median {statistics.median(r[3] for r in rows):.0f}, worst {max(r[3] for r in rows)}")
            worst = max(rows, key=lambda r: r[2])
            print(f"     heaviest:  {worst[0]!r} ({worst[2]:,} B gzipped)")
            print(f"   latency in Chromium (search + metadata of 10), {len(qs)} queries:")
            print(f"     first run (fetches shards): median {statistics.median(lat['cold']):.1f} ms, p95 {pct(lat['cold'], 95):.1f} ms")
            print(f"     warm:                       median {statistics.median(lat['warm']):.2f} ms, p95 {pct(lat['warm'], 95):.2f} ms")
            entry = {"records": n, "build_s": build, "index_mb": isize, "index_files": ifiles,
                     "query_bytes_gz_median": statistics.median(zipped), "query_bytes_raw_median": statistics.median(raw),
                     "latency_ms_median": statistics.median(lat["cold"]), "latency_ms_p95": pct(lat["cold"], 95)}
            if not args.no_pagefind:
                pmed, prss, psize, pfiles, prows = pagefind(out, qs, args.runs)
                pbytes = [r[1] for r in prows]
                print(f"   Pagefind over the same site: index {pmed:.2f} s median, {prss:.0f} MiB peak, {psize:.1f} MB in {pfiles} files")
                print(f"     first query downloads: median {statistics.median(pbytes):,.0f} B, p95 {pct(pbytes, 95):,.0f} B, worst {max(pbytes):,} B"
                      f" (+ pagefind-worker.js in a browser)")
                print(f"     search in Node (indicative): median {statistics.median(r[3] for r in prows):.1f} ms")
                print(f"   ratio Pagefind / Fixbook bytes per query (median, gzip): {statistics.median(pbytes) / statistics.median(zipped):.1f}x")
                entry.update(pagefind_index_s=pmed, pagefind_query_bytes_median=statistics.median(pbytes))
            report.append(entry)
    finally:
        browser.close()
    print("\n" + json.dumps(report))


if __name__ == "__main__":
    main()
