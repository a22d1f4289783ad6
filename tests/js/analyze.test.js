// The JavaScript analyzer must give exactly the terms the Rust one wrote into the vectors.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const fs = require("node:fs");

const root = path.join(__dirname, "..", "..");
const { analyze } = require(path.join(root, "themes/default/static/assets/fixbook-analyze.js"));
const vectors = JSON.parse(fs.readFileSync(path.join(root, "tests/search/analysis-vectors.json"), "utf8"));

test("vectors were generated", () => {
  assert.equal(vectors.version, 1);
  assert.ok(vectors.cases.length > 100, `${vectors.cases.length} cases`);
});

test("every vector matches the Rust analyzer", () => {
  const failures = [];
  for (const c of vectors.cases) {
    const got = analyze(c.input, c.mode);
    try {
      assert.deepEqual(got, c.terms);
    } catch {
      failures.push(`${c.mode} ${JSON.stringify(c.input)}\n  rust: ${JSON.stringify(c.terms)}\n  js:   ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, failures.slice(0, 10).join("\n"));
});
