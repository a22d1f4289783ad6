// Loads a built site's search index in Node, the way the browser does, for tests and tools.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const assets = path.join(__dirname, "..", "..", "themes", "default", "static", "assets");

/** An engine over the site built in `site` (the output folder), in its own global scope. */
function openSite(site) {
  const ctx = vm.createContext({ console });
  ctx.self = ctx;
  for (const f of ["fixbook-analyze.js", "fixbook-search.js"]) {
    vm.runInContext(fs.readFileSync(path.join(assets, f), "utf8"), ctx, { filename: f });
  }
  const loaded = [];
  const load = (url) => new Promise((resolve, reject) => {
    try {
      const code = fs.readFileSync(url, "utf8");
      loaded.push({ url, bytes: Buffer.byteLength(code) });
      vm.runInContext(code, ctx, { filename: url });
      resolve();
    } catch (e) {
      reject(e);
    }
  });
  const engine = ctx.FixbookSearch.open(path.join(site, "search") + path.sep, load);
  return { engine, loaded };
}

module.exports = { openSite };

if (require.main === module) {
  const [site, ...words] = process.argv.slice(2);
  const { engine, loaded } = openSite(site);
  engine.search(words.join(" ")).then(async (hits) => {
    const shown = await engine.meta(hits.slice(0, 5).map((h) => h.doc));
    shown.forEach((m, i) => console.log(hits[i].score.toFixed(2), m.code, "|", m.title, "|", m.product));
    console.log(hits.length, "hits;", loaded.length, "files,", loaded.reduce((a, b) => a + b.bytes, 0), "bytes");
  });
}
