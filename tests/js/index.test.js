// The browser runtime must place typo keys and read numbers exactly as the Rust index writer.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const fs = require("node:fs");

const root = path.join(__dirname, "..", "..");
const FixbookSearch = require(path.join(root, "themes/default/static/assets/fixbook-search.js"));
const vectors = JSON.parse(fs.readFileSync(path.join(root, "tests/search/index-vectors.json"), "utf8"));

test("typo keys and their hashes match the index writer", () => {
  for (const v of vectors.typo) {
    const keys = FixbookSearch.typoKeys(v.word, 6);
    assert.deepEqual(keys, v.keys, v.word);
    assert.deepEqual(keys.map(FixbookSearch.fnv1a), v.fnv, v.word);
  }
});

test("edit distance counts an adjacent swap as one edit", () => {
  assert.equal(FixbookSearch.distance("certificate", "certifcate", 2), 1);
  assert.equal(FixbookSearch.distance("gateway", "gatewya", 2), 1);
  assert.equal(FixbookSearch.distance("expird", "expired", 1), 1);
  assert.equal(FixbookSearch.distance("gateway", "printer", 2), 3, "beyond the budget: budget + 1");
});

test("VLQ numbers read as the index writer wrote them", () => {
  for (const [n, s] of vectors.vlq) assert.deepEqual(FixbookSearch.numbers(s), [n], s);
  assert.throws(() => FixbookSearch.numbers("!"), /corrupt/);
});
