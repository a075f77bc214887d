/*
 * Copyright 2026 The FusionInfer Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

// Measures what the plugin adds to an app bundle (README "Bundle size"): esbuild, minified ESM with code splitting,
// everything a Backstage app already ships external. Usage: node dev/bundle-size.js
/* eslint-disable no-console */
// esbuild comes with @backstage/cli (cli-module-build); this script only measures, it is not part of the package.
// eslint-disable-next-line @backstage/no-undeclared-imports
const esbuild = require('esbuild');
const os = require('os');
const path = require('path');
const fs = require('fs');
const zlib = require('zlib');

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fusioninfer-bundle-'));
const result = esbuild.buildSync({
  entryPoints: [path.resolve(__dirname, '../src/alpha.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true,
  outdir,
  jsx: 'automatic',
  metafile: true,
  logLevel: 'warning',
  external: [
    'react',
    'react-dom',
    'react-router-dom',
    '@backstage/*',
    '@material-ui/*',
    '@mui/material',
    '@mui/material/*',
    '@mui/system',
    '@emotion/*',
  ],
});
const kb = n => `${(n / 1024).toFixed(0)} KB`;
let raw = 0;
let gz = 0;
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const data = fs.readFileSync(file);
  const zipped = zlib.gzipSync(data, { level: 9 }).length;
  raw += data.length;
  gz += zipped;
  const byPackage = {};
  for (const [input, v] of Object.entries(out.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    let key = 'plugin';
    if (m) key = m[1].startsWith('d3-') ? 'd3' : m[1];
    else if (input.includes('fusioninfer-common')) key = 'common';
    byPackage[key] = (byPackage[key] ?? 0) + v.bytesInOutput;
  }
  const top = Object.entries(byPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${kb(v)}`)
    .join(', ');
  console.log(
    `${path.basename(file).padEnd(36)} ${kb(data.length).padStart(7)} ${kb(zipped).padStart(6)} gz  ${top}`,
  );
}
console.log(
  `${'total'.padEnd(36)} ${kb(raw).padStart(7)} ${kb(gz).padStart(6)} gz`,
);
fs.rmSync(outdir, { recursive: true, force: true });
