// build.mjs writes the assets Moat's HTML report embeds (internal/report/htmlreport/assets)
// from src/ and the pinned graph library in node_modules (installed by `npm ci` from
// package-lock.json). It only copies and joins files: the same inputs give the same bytes.
// Run it through `make report-assets`.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'internal', 'report', 'htmlreport', 'assets');

const read = (...p) => readFileSync(join(here, ...p), 'utf8');

// An inline script or style ends at the first "</script" or "</style" in its text, and
// "<!--" changes how a script is parsed: none may be in what the page inlines.
function inlineSafe(name, text) {
  for (const bad of ['</script', '</style', '<!--']) {
    if (text.toLowerCase().includes(bad)) {
      throw new Error(`${name}: contains "${bad}", which would break the inline element`);
    }
  }
  return text;
}

const lib = JSON.parse(read('node_modules', 'cytoscape', 'package.json'));
const pinned = JSON.parse(read('package.json')).dependencies.cytoscape;
if (lib.version !== pinned) {
  throw new Error(`node_modules has cytoscape ${lib.version}, package.json pins ${pinned}: run npm ci`);
}

mkdirSync(out, { recursive: true });
const assets = {
  'report.js': read('src', 'report.js'),
  'report.css': read('src', 'report.css'),
  // The library keeps its own license comment at its top.
  'graph.js': `/* cytoscape ${lib.version} (MIT license, below), then Moat's graph tab. */\n` +
    read('node_modules', 'cytoscape', 'dist', 'cytoscape.min.js').trimEnd() + '\n' +
    read('src', 'graph.js'),
};
for (const [name, text] of Object.entries(assets)) {
  writeFileSync(join(out, name), inlineSafe(name, text));
  console.log(`${name}\t${Buffer.byteLength(text)} bytes`);
}
