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
 * The repository's set-up scripts (scripts/setup.sh, scripts/install-stamp.sh, scripts/check-install-scripts.js) and
 * dependency policy (root package.json), tested here with the other command-line tooling. Nothing is installed:
 * each script runs against a scratch copy.
 */

import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const SCRIPTS = path.join(ROOT, 'scripts');
const rootPackage = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'),
);
const lock = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'),
);

function write(dir: string, file: string, text: string) {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}

describe('install stamp (issue 12: npm test then npm start must not reinstall)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-stamp-'));
    write(dir, 'package.json', '{"name":"root"}');
    write(dir, 'package-lock.json', '{"lockfileVersion":3}');
    write(dir, 'packages/cli/package.json', '{"name":"cli"}');
    write(dir, 'plugins/common/package.json', '{"name":"common"}');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Evaluates the `want=` line of the real setup.sh in the scratch repository. */
  function stamp(): string {
    const setup = fs.readFileSync(path.join(SCRIPTS, 'setup.sh'), 'utf8');
    const wantLine = setup.split('\n').find(l => l.startsWith('want='));
    expect(wantLine).toBeDefined();
    const helper = path.join(SCRIPTS, 'install-stamp.sh');
    const script = [
      'set -euo pipefail',
      `REPO_ROOT=${JSON.stringify(dir)}`,
      `cd "$REPO_ROOT"`,
      fs.existsSync(helper) ? `source ${JSON.stringify(helper)}` : ':',
      wantLine!,
      'printf "%s" "$want"',
    ].join('\n');
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' });
  }

  it('ignores what the install writes into node_modules', () => {
    const before = stamp();
    write(dir, 'node_modules/react/package.json', '{"name":"react"}');
    write(dir, 'node_modules/.fusioninfer-install-stamp', before);
    expect(stamp()).toBe(before);
    write(dir, 'node_modules/react/package.json', '{"name":"react","v":2}');
    expect(stamp()).toBe(before);
  });

  it('changes with the lockfile, the root and every workspace package.json', () => {
    const seen = new Set([stamp()]);
    for (const file of [
      'package-lock.json',
      'package.json',
      'packages/cli/package.json',
      'plugins/common/package.json',
    ]) {
      fs.appendFileSync(path.join(dir, file), ' ');
      const s = stamp();
      expect({ file, changed: !seen.has(s) }).toEqual({ file, changed: true });
      seen.add(s);
    }
    write(dir, 'plugins/new/package.json', '{"name":"new"}');
    expect(seen.has(stamp())).toBe(false);
  });
});

describe('install scripts (review L8)', () => {
  const check = (root: string, ...args: string[]) =>
    spawnSync(
      process.execPath,
      [path.join(SCRIPTS, 'check-install-scripts.js'), ...args, root],
      { encoding: 'utf8' },
    );

  it('every package with an install script in the lockfile is allowed or denied explicitly', () => {
    const r = check(ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(check(ROOT, '--allowed').stdout.split('\n').filter(Boolean)).toEqual(
      ['@swc/core', 'better-sqlite3', 'esbuild'],
    );
    for (const name of Object.keys(rootPackage.allowScripts))
      expect(
        Object.keys(rootPackage['//allowScripts']).some(k =>
          k.split(', ').includes(name),
        ),
      ).toBe(true);
  });

  it('fails the set-up, naming the package, when one is not covered', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-scripts-'));
    try {
      write(
        dir,
        'package.json',
        JSON.stringify({ allowScripts: { good: true, 'pinned@1.0.0': true } }),
      );
      write(
        dir,
        'package-lock.json',
        JSON.stringify({
          packages: {
            '': {},
            'node_modules/good': { version: '1.0.0', hasInstallScript: true },
            'node_modules/a/node_modules/@evil/pkg': {
              version: '6.6.6',
              hasInstallScript: true,
            },
            'node_modules/pinned': { version: '1.0.0', hasInstallScript: true },
            'node_modules/plain': { version: '1.0.0' },
          },
        }),
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      // no resolved URL: npm cannot match a pinned entry, so neither does the check
      expect(r.stderr).toContain('  @evil/pkg@6.6.6\n  pinned@1.0.0\n');
      expect(r.stderr).not.toContain('good');
      expect(r.stderr).not.toContain('plain');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('setup.sh checks the policy and lets npm enforce it, without silencing warnings or advisories', () => {
    const setup = fs.readFileSync(path.join(SCRIPTS, 'setup.sh'), 'utf8');
    expect(setup).toContain('node scripts/check-install-scripts.js');
    expect(setup).toContain('npm ci --strict-allow-scripts');
    expect(setup).not.toMatch(
      /--no-audit|--loglevel=error|--dangerously-allow-all-scripts/,
    );
    expect(setup).not.toContain('*/*/package.json');
  });
});

describe('overrides (review L8)', () => {
  it('every override carries its reason in "//overrides"', () => {
    const reasons = rootPackage['//overrides'];
    for (const name of Object.keys(rootPackage.overrides))
      expect({ name, reason: typeof reasons[name] }).toEqual({
        name,
        reason: 'string',
      });
  });

  it('lifts known-vulnerable transitive versions where semver allows', () => {
    const versionsOf = (name: string) =>
      Object.entries(lock.packages as Record<string, any>)
        .filter(([p]) => p.endsWith(`node_modules/${name}`))
        .map(([p, v]) => ({ p, version: v.version as string }));
    const below = (v: string, min: number[]) => {
      const parts = v.split('.').map(Number);
      for (let i = 0; i < 3; i++)
        if (parts[i] !== min[i]) return parts[i] < min[i];
      return false;
    };
    // prismjs < 1.30.0: CVE-2024-53382
    expect(
      versionsOf('prismjs').filter(x => below(x.version, [1, 30, 0])),
    ).toEqual([]);
    // @octokit/request < 8.4.1: only where the parent's range excludes every fixed release (^6)
    for (const { p, version } of versionsOf('@octokit/request')) {
      if (!below(version, [8, 4, 1])) continue;
      const parentPath = p.slice(0, p.lastIndexOf('/node_modules/'));
      const parent = lock.packages[parentPath];
      const range = parent?.dependencies?.['@octokit/request'] ?? '';
      expect({ p, range }).toEqual({
        p,
        range: expect.stringMatching(/^\^[0-7]\./),
      });
    }
  });
});

describe('scripts/setup.sh with a stand-in npm', () => {
  let dir: string;
  const log = () =>
    fs.existsSync(path.join(dir, 'npm.log'))
      ? fs.readFileSync(path.join(dir, 'npm.log'), 'utf8').trim().split('\n')
      : [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-setup-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    for (const f of [
      'setup.sh',
      'install-stamp.sh',
      'check-install-scripts.js',
    ])
      fs.copyFileSync(path.join(SCRIPTS, f), path.join(dir, 'scripts', f));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function setUp(strict: string, policy: Record<string, boolean>) {
    write(
      dir,
      'package.json',
      JSON.stringify({ name: 'r', allowScripts: policy }),
    );
    write(
      dir,
      'package-lock.json',
      JSON.stringify({
        packages: {
          '': {},
          'node_modules/native': { version: '1.0.0', hasInstallScript: true },
        },
      }),
    );
    write(dir, 'packages/a/package.json', '{"name":"a"}');
    // env.sh stand-in: the real one fetches Node; here node is already on PATH.
    write(
      dir,
      'scripts/env.sh',
      'REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\nexport PATH="$REPO_ROOT/bin:$PATH"\n',
    );
    // npm stand-in: logs its arguments; `ci` writes node_modules/*/package.json as a real install does.
    write(
      dir,
      'bin/npm',
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$(dirname "$0")/../npm.log"',
        'case "$1" in',
        `  config) echo ${JSON.stringify(strict)} ;;`,
        '  --version) echo 11.0.0 ;;',
        '  ci) mkdir -p node_modules/native && echo "{\\"name\\":\\"native\\",\\"x\\":$RANDOM}" > node_modules/native/package.json ;;',
        'esac',
      ].join('\n'),
    );
    fs.chmodSync(path.join(dir, 'bin/npm'), 0o755);
  }
  const runSetup = () =>
    spawnSync('bash', [path.join(dir, 'scripts/setup.sh')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      },
    });

  it('installs with --strict-allow-scripts once; the second run (npm test, then npm start) skips', () => {
    setUp('false', { native: true });
    const first = runSetup();
    expect(first.status).toBe(0);
    expect(log().filter(l => l.startsWith('ci'))).toEqual([
      'ci --strict-allow-scripts --no-fund --loglevel=warn',
    ]);
    const second = runSetup();
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('[setup] dependencies up to date');
    expect(log().filter(l => l.startsWith('ci'))).toHaveLength(1);
  });

  it('with an npm that has no policy, installs without scripts and rebuilds only the allowed packages', () => {
    setUp('undefined', { native: true });
    expect(runSetup().status).toBe(0);
    expect(log().filter(l => !l.startsWith('--version'))).toEqual([
      'config get strict-allow-scripts',
      'ci --ignore-scripts --no-fund --loglevel=warn',
      'rebuild --no-fund --loglevel=warn native',
    ]);
  });

  it('stops before installing when a package with an install script is not covered', () => {
    setUp('false', {});
    const r = runSetup();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('  native@1.0.0');
    expect(log()).toEqual([]);
  });
});
