#!/usr/bin/env python3
"""The writer's loop: how long from saving a record to the reload event in `fixbook serve`.

    python3 bench/serve_bench.py [--size 10000] [--edits 20] [--work /tmp/fixbook-bench]

Generates (or reuses) a corpus with ../shared/bench/gen_corpus.py, copies it, starts
`target/release/fixbook serve` on a free port, subscribes to its event stream, and saves one
record `--edits` times for each kind of edit, waiting for the `reload` event each time:

- body: a sentence of the quick answer (only the record's page changes);
- title: the title (the record's page, its product and tag pages, the listings and the
  records that list it as related).

Prints the median, p90 and max milliseconds from the write to the event, the server's own
"rebuilt ... in N ms" figures (pages, search index and data files), and the time to the first page after start. Also times
`fixbook build` with nothing changed and after one record changed (median of 3 each).
Standard library only; build the release binary first (`cargo build --release`).
"""

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from bench import corpus  # noqa: E402

BIN = ROOT / "target" / "release" / "fixbook"


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Events:
    """Reads `event:` names from the server-sent event stream on a thread."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.sock.sendall(f"GET /__fixbook/events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        self.cond = threading.Condition()
        self.seen = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        buf = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.startswith(b"event: "):
                    with self.cond:
                        self.seen.append((time.perf_counter(), line[7:].decode().strip()))
                        self.cond.notify_all()

    def wait_after(self, count, timeout=60):
        with self.cond:
            self.cond.wait_for(lambda: len(self.seen) > count, timeout)
            return self.seen[count] if len(self.seen) > count else None


def edits(kb, kind, n, rng):
    files = sorted((kb / "content").rglob("*.toml"))
    for i in range(n):
        path = rng.choice(files)
        text = path.read_text()
        if kind == "body":
            new, k = re.subn(r'^quick_answer = "', f'quick_answer = "Edit {i}. ', text, count=1, flags=re.M)
            if not k:
                new = text.replace('summary = "', f'summary = "Edit {i}. ', 1)
        else:
            new = re.sub(r'^title = "', f'title = "Edit {i}: ', text, count=1, flags=re.M)
        yield path, new


def serve_bench(kb, n_edits):
    port_sock = socket.socket()
    port_sock.bind(("127.0.0.1", 0))
    port = port_sock.getsockname()[1]
    port_sock.close()
    started = time.perf_counter()
    proc = subprocess.Popen([BIN, "serve", kb, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()
    ready = time.perf_counter() - started
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in proc.stderr], daemon=True).start()
    events = Events("127.0.0.1", port)
    time.sleep(0.3)
    rng = random.Random(7)
    results = {}
    try:
        for kind in ("body", "title"):
            times = []
            for path, text in edits(kb, kind, n_edits, rng):
                count = len(events.seen)
                t0 = time.perf_counter()
                path.write_text(text)
                got = events.wait_after(count)
                if got is None or got[1] != "reload":
                    sys.exit(f"no reload event after editing {path}: {got}")
                times.append((got[0] - t0) * 1000)
                # A pause, as between a writer's saves.
                time.sleep(1.0)
            results[kind] = times
    finally:
        proc.terminate()
        proc.wait()
    rebuilt = [float(m.group(1)) for l in log if (m := re.match(r"rebuilt \d+ pages? and the search index in (\d+) ms", l))]
    return ready, results, rebuilt


def build_bench(kb, runs=3):
    out = kb.parent / "public-bench"
    subprocess.run([BIN, "build", kb, "--out", out, "--quiet", "--clean"], check=True)

    def timed():
        t0 = time.perf_counter()
        subprocess.run([BIN, "build", kb, "--out", out, "--quiet"], check=True)
        return time.perf_counter() - t0

    noop = statistics.median(timed() for _ in range(runs))
    files = sorted((kb / "content").rglob("*.toml"))
    one = []
    for i in range(runs):
        p = files[i * 37 % len(files)]
        p.write_text(p.read_text().replace('summary = "', f'summary = "Changed {i}. ', 1))
        one.append(timed())
    t0 = time.perf_counter()
    subprocess.run([BIN, "build", kb, "--out", out, "--quiet", "--clean"], check=True)
    clean = time.perf_counter() - t0
    return noop, statistics.median(one), clean


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fixbook-bench"))
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit("build the release binary first: cargo build --release")
    src = corpus(args.work, args.size, "kb")
    kb = args.work / f"serve-{args.size}" / "kb"
    if kb.parent.exists():
        shutil.rmtree(kb.parent)
    shutil.copytree(src, kb)

    ready, results, rebuilt = serve_bench(kb, args.edits)
    print(f"fixbook serve, {args.size} records: first page served {ready:.2f} s after start")
    print(f"{'edit':<8} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    for kind, t in results.items():
        print(f"{kind:<8} {len(t):>3} {statistics.median(t):>10.0f} {pct(t, 90):>8.0f} {max(t):>8.0f}")
    if rebuilt:
        print(f"server's own rebuild (pages, search index and data files): median {statistics.median(rebuilt):.0f} ms")

    noop, one, clean = build_bench(kb)
    print(f"fixbook build, {args.size} records: nothing changed {noop:.2f} s, one record changed {one:.2f} s, --clean {clean:.2f} s (medians of 3)")


if __name__ == "__main__":
    main()
