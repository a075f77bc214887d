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

import fs from 'fs';
import path from 'path';

/**
 * The layers of `src/` and, for each, the layers its files may import (besides its own folder, common, node and
 * third-party packages). `.` is the wiring at the root: `plugin.ts`, `config.ts`, `index.ts`. Nothing but the
 * wiring imports `http/` or `actions/`; no layer imports the root. The README's "Layout" shows this table.
 */
const ALLOWED: Record<string, readonly string[]> = {
  '.': [
    'http',
    'actions',
    'showback',
    'autoscaler',
    'canary',
    'approvals',
    'changes',
    'projects',
    'views',
    'metrics',
    'reconciler',
    'cache',
    'auth',
    'contract',
    'lib',
  ],
  // /clusters reports each cluster's leadership: the reconcilers map is the one arrow past the middle floor.
  http: [
    'showback',
    'autoscaler',
    'approvals',
    'changes',
    'projects',
    'views',
    'metrics',
    'reconciler',
    'auth',
    'contract',
  ],
  actions: [
    'approvals',
    'changes',
    'projects',
    'views',
    'metrics',
    'auth',
    'contract',
  ],
  // The role autoscaler: decides with common, writes through the one writer (changes), holds through the gate's
  // ApprovalHold (declared in changes), reads metrics and the services; the wiring hands it the approvals it files.
  autoscaler: ['changes', 'views', 'metrics', 'auth', 'lib'],
  // The canary controller: reads what the reconciler's gate saw of a canary (its view type), the services and the
  // metrics, and writes only the canary's state annotation with the cluster client (no child, no spec).
  canary: ['views', 'metrics', 'reconciler', 'lib'],
  // Showback: usage samples and costs; owners and entity refs are handed in by the wiring (no arrow to changes).
  showback: ['metrics', 'projects', 'lib'],
  approvals: ['changes', 'views', 'reconciler', 'cache', 'auth', 'contract'],
  changes: ['views', 'reconciler', 'cache', 'auth', 'contract'],
  projects: ['reconciler', 'cache', 'auth', 'contract'],
  views: ['metrics', 'reconciler', 'cache', 'auth'],
  metrics: ['reconciler', 'cache'],
  reconciler: ['cache'],
  cache: [],
  auth: [],
  contract: [],
  // Helpers with no arrow of their own (the rounds on an interval of the autoscaler, canary controller, recorder).
  lib: [],
};

/** Test helpers: they may import any layer; no shipped file may import them. */
const TEST_UTILS = '__testUtils__';

const SRC = __dirname;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The layer of a file or directory under src/: its first folder, or `.` for a file at the root. */
function layerOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? parts[0] : '.';
}

/** Module specifiers of every import, `export … from`, `import()` and `require()` of a file. */
function importsOf(text: string): string[] {
  // Comments out first, so that an example in a comment is not an import.
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1');
  const patterns = [
    /^\s*(?:import|export)\s[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap(re => [...code.matchAll(re)].map(m => m[1]));
}

interface Edge {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

function edges(): Edge[] {
  return sourceFiles(SRC).flatMap(file =>
    importsOf(fs.readFileSync(file, 'utf8'))
      .filter(s => s.startsWith('.'))
      .map(specifier => ({
        file: path.relative(SRC, file),
        specifier,
        from: layerOf(file),
        to: layerOf(path.resolve(path.dirname(file), specifier)),
      })),
  );
}

describe('the layers of src/', () => {
  it('reads imports of every form, and not those in comments', () => {
    expect(
      importsOf(
        [
          "import a from './a';",
          "import type { B } from '../b/b';",
          'import {',
          '  C,',
          '  D,',
          "} from './c';",
          "export * from './e';",
          "export { F } from './f';",
          "import './g';",
          "const h = require('./h');",
          "const i = await import('./i');",
          "// import x from './commented';",
          "/* export { y } from './commented'; */",
          "const s = 'from \\'./not-an-import\\''; // see https://example.com",
        ].join('\n'),
      ),
    ).toEqual(['./a', '../b/b', './c', './e', './f', './g', './h', './i']);
  });

  it('places every file in a layer of the table, and the table has no cycle', () => {
    const unknown = sourceFiles(SRC)
      .filter(f => !(layerOf(f) in ALLOWED) && layerOf(f) !== TEST_UTILS)
      .map(f => path.relative(SRC, f));
    expect(unknown).toEqual([]);
    for (const targets of Object.values(ALLOWED))
      for (const t of targets) expect(Object.keys(ALLOWED)).toContain(t);
    // Depth-first: a layer reached again while it is being visited closes a cycle.
    const state = new Map<string, 'visiting' | 'done'>();
    const cycle: string[] = [];
    const visit = (l: string, trail: string[]): boolean => {
      if (state.get(l) === 'done') return false;
      if (state.get(l) === 'visiting') {
        cycle.push(...trail.slice(trail.indexOf(l)), l);
        return true;
      }
      state.set(l, 'visiting');
      const found = ALLOWED[l].some(t => visit(t, [...trail, l]));
      state.set(l, 'done');
      return found;
    };
    Object.keys(ALLOWED).some(l => visit(l, []));
    expect(cycle).toEqual([]);
  });

  it('has no import against the table (http/ and actions/ are imported by the wiring only)', () => {
    const all = edges();
    // Not vacuous: the wiring's and the layers' imports are found.
    expect(all).toContainEqual(
      expect.objectContaining({ file: 'plugin.ts', to: 'http' }),
    );
    expect(all.filter(e => e.from !== e.to).length).toBeGreaterThan(40);
    const broken = all
      .filter(e => e.from !== e.to && e.from !== TEST_UTILS)
      .filter(e => !(ALLOWED[e.from] ?? []).includes(e.to))
      .map(e => `${e.file}: '${e.specifier}' (${e.from} → ${e.to})`);
    expect(broken).toEqual([]);
  });
});
