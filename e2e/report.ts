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

/*
 * The e2e run's report (scripts/e2e.sh): test counts from Playwright's JSON reporter, the figures the tests
 * measured (e2e/.output/measurements.json) and the FusionInfer plugin's share of the app bundle (from the source
 * maps of the production build). Writes e2e/.output/report.json, e2e/.output/report.md, e2e/.output/summary.txt
 * and bench/results/e2e.json. Figures are measurements of one run, never pass/fail criteria.
 */

import fs from 'fs';
import path from 'path';
import zlib from 'zlib';

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'e2e/.output');
const dist = path.join(root, 'packages/app/dist');

/**
 * The plugin's code in the app build, read from the build's source maps (no bundle-stats file: the CLI's streaming
 * JSON writer for `--stats` can stall for good on a loaded machine, and the maps say the same): the modules of the
 * plugin's sources, and the chunks whose map lists any of them; a chunk is initial when index.html loads it.
 */
export function pluginBundleSize(
  distDir: string,
  pattern = /plugins\/fusioninfer\/src\//,
) {
  const staticDir = path.join(distDir, 'static');
  const html = fs.readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const own = new Map<string, number>();
  const files: { file: string; bytes: number; gzipBytes: number }[] = [];
  let initial = false;
  for (const f of fs.readdirSync(staticDir).filter(n => n.endsWith('.js'))) {
    const mapPath = path.join(staticDir, `${f}.map`);
    if (!fs.existsSync(mapPath)) continue;
    const map = JSON.parse(fs.readFileSync(mapPath, 'utf8')) as {
      sources?: string[];
      sourcesContent?: (string | null)[];
    };
    const mine = (map.sources ?? [])
      .map((src, i) => ({ src, i }))
      .filter(({ src }) => pattern.test(src));
    if (!mine.length) continue;
    for (const { src, i } of mine)
      own.set(src, Buffer.byteLength(map.sourcesContent?.[i] ?? ''));
    const buf = fs.readFileSync(path.join(staticDir, f));
    files.push({
      file: `static/${f}`,
      bytes: buf.length,
      gzipBytes: zlib.gzipSync(buf, { level: 9 }).length,
    });
    if (html.includes(`/static/${f}`)) initial = true;
  }
  return {
    modules: own.size,
    sourceBytes: [...own.values()].reduce((a, b) => a + b, 0),
    chunks: files.length,
    inInitialChunk: initial,
    minifiedBytes: files.reduce((a, f) => a + f.bytes, 0),
    gzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0),
    files,
  };
}

function testCounts(resultsPath: string) {
  if (!fs.existsSync(resultsPath)) return undefined;
  const r = JSON.parse(fs.readFileSync(resultsPath, 'utf8'));
  const s = r.stats ?? {};
  return {
    passed: (s.expected ?? 0) + (s.flaky ?? 0),
    failed: s.unexpected ?? 0,
    skipped: s.skipped ?? 0,
    durationMs: Math.round(s.duration ?? 0),
  };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function main() {
  const wallSeconds = Number(process.argv[2] ?? 0);
  const counts = testCounts(path.join(out, 'results.json'));
  const measurementsPath = path.join(out, 'measurements.json');
  const measured = fs.existsSync(measurementsPath)
    ? JSON.parse(fs.readFileSync(measurementsPath, 'utf8'))
    : {};
  const bundle = fs.existsSync(path.join(dist, 'index.html'))
    ? pluginBundleSize(dist)
    : undefined;

  const report = {
    date: new Date().toISOString(),
    machine: `${require('os').cpus().length} cores`,
    wallSeconds,
    tests: counts,
    measured,
    pluginBundle: bundle && { ...bundle, files: undefined },
    pluginBundleFiles: bundle?.files,
  };
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'report.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench/results/e2e.json'),
    `${JSON.stringify({ ...report, pluginBundleFiles: undefined }, null, 2)}\n`,
  );

  const lines = [
    `# e2e report (${report.date})`,
    '',
    `Tests: ${counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : 'not run'}; whole step ${wallSeconds} s on ${report.machine}.`,
    '',
    '## Measured',
    '',
    ...Object.entries(measured).map(
      ([k, v]) => `- ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`,
    ),
    bundle
      ? `- plugin bundle: ${bundle.modules} modules of plugins/fusioninfer (${kib(bundle.sourceBytes)} before minification) in ${bundle.chunks} chunk(s)${bundle.inInitialChunk ? ' (one of them initial)' : ' (all lazy)'} of ${kib(bundle.minifiedBytes)} minified, ${kib(bundle.gzipBytes)} gzip (chunks include the libraries only they load)`
      : '- plugin bundle: no app build in packages/app/dist',
  ];
  fs.writeFileSync(path.join(out, 'report.md'), `${lines.join('\n')}\n`);
  fs.writeFileSync(
    path.join(out, 'summary.txt'),
    counts
      ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`
      : '0 passed, 1 failed, 0 skipped (no Playwright results)\n',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
