"""Runs an export's upload-confluence.sh twice against a stand-in for the Confluence Cloud REST
API v2 (spaces, pages: list by title, get, create under a parent, update with the next version)
and checks the page tree it built. Usage: python3 mock_upload.py EXPORT_DIR"""
import http.server, json, sys, threading, urllib.parse
pages = {}  # id -> dict
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, obj, code=200):
        b = json.dumps(obj).encode(); self.send_response(code); self.send_header("Content-Type","application/json"); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        u = urllib.parse.urlparse(self.path); q = urllib.parse.parse_qs(u.query)
        if u.path == "/wiki/api/v2/spaces": return self.send({"results": [{"id": "77"}] if q.get("keys") == ["KB"] else []})
        if u.path == "/wiki/api/v2/pages":
            return self.send({"results": [{"id": i} for i, p in pages.items() if p["title"] == q["title"][0]]})
        if u.path.startswith("/wiki/api/v2/pages/"):
            return self.send(pages[u.path.rsplit("/",1)[1]])
        self.send({}, 404)
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body.get("parentId") is not None and body["parentId"] not in pages: return self.send({"error": "no parent"}, 400)
        i = str(len(pages) + 1); body["id"] = i; body["version"] = {"number": 1}; pages[i] = body; self.send({"id": i})
    def do_PUT(self):
        i = self.path.rsplit("/",1)[1]; body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["version"]["number"] == pages[i]["version"]["number"] + 1
        body["parentId"] = pages[i].get("parentId"); pages[i] = body; self.send({"id": i})
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
port = s.server_address[1]
threading.Thread(target=s.serve_forever, daemon=True).start()
import subprocess, os
env = dict(os.environ, CONFLUENCE_URL=f"http://127.0.0.1:{port}", CONFLUENCE_USER="u", CONFLUENCE_TOKEN="t", CONFLUENCE_SPACE="KB")
for run in (1, 2):
    r = subprocess.run(["bash", sys.argv[1] + "/upload-confluence.sh"], env=env, capture_output=True, text=True)
    print("run", run, "exit", r.returncode, r.stdout.splitlines()[:2], r.stdout.splitlines()[-1:], r.stderr[-300:])
    assert r.returncode == 0, r.stderr
    # Titles are record text: the script shows them, never sends their control characters.
    assert not any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127 for c in r.stdout + r.stderr), repr(r.stdout)
    assert all(l.split(" ")[1] == ("created:" if run == 1 else "updated:") for l in r.stdout.splitlines()), r.stdout
print(len(pages), "pages;", sum(1 for p in pages.values() if p.get("parentId") is None), "at the root;", "versions:", sorted({p["version"]["number"] for p in pages.values()}))
rd = [p for p in pages.values() if p["title"] == "Remote Desktop"][0]
kids = [p["title"] for p in pages.values() if p.get("parentId") == rd["id"]]
print("under Remote Desktop:", len(kids), kids[:2])
manifest = json.load(open(sys.argv[1] + "/manifest.json"))
assert len(pages) == len(manifest["pages"]), "one page per manifest entry, updated in place on the second run"
by_title = {p["title"]: p for p in pages.values()}
for entry in manifest["pages"]:
    page = by_title[entry["title"]]
    parent = page.get("parentId")
    assert (parent is None) == (entry["parent"] is None), entry
    if parent is not None:
        assert pages[parent]["title"] == entry["parent"], entry
    assert page["body"]["representation"] == "storage" and page["body"]["value"] == open(sys.argv[1] + "/" + entry["file"]).read()
    assert page["version"]["number"] == 2
print("ok")
