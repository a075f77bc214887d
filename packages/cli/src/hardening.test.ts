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

import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import { parseAllDocuments } from 'yaml';
import { CliIo, MAX_INPUT_BYTES, runCli } from './cli';
import { readFileCapped, readStreamCapped } from './read';

const BIN = path.resolve(__dirname, '../bin/fusioninfer');

/** Runs the CLI with the real file reader (what bin/fusioninfer uses). */
async function run(argv: string[], stdin = '') {
  let out = '';
  let err = '';
  const io: CliIo = {
    readFile: p => readFileCapped(p, MAX_INPUT_BYTES),
    readStdin: async () => Buffer.from(stdin),
    stdout: t => {
      out += t;
    },
    stderr: t => {
      err += t;
    },
  };
  const code = await runCli(argv, io, '1.2.3');
  return { code, out, err };
}

const manifest = (replicas: string, env: string[] = []) =>
  [
    'apiVersion: fusioninfer.io/v1alpha1',
    'kind: InferenceService',
    'metadata: {name: svc}',
    'spec:',
    '  roles:',
    '  - name: w',
    '    componentType: worker',
    `    replicas: ${replicas}`,
    '    template:',
    '      spec:',
    '        containers:',
    '        - name: c',
    '          image: vllm:ok',
    ...(env.length
      ? ['          env:', ...env.map(e => `          - ${e}`)]
      : []),
  ].join('\n');

describe('special and endless files (review L7)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses /dev/zero, a symlink to it, a FIFO and a directory without reading them', async () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    const fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const cases: Array<[string, RegExp]> = [
      [
        '/dev/zero',
        /cannot read \/dev\/zero: is a character device, not a regular file/,
      ],
      [
        path.join(dir, 'zero.yaml'),
        /is a character device, not a regular file/,
      ],
      [fifo, /is a FIFO \(named pipe\), not a regular file/],
      [dir, /cannot read .*: is a directory/],
    ];
    for (const [file, message] of cases) {
      const r = await run(['validate', '-f', file]);
      expect({ file, code: r.code }).toEqual({ file, code: 2 });
      expect(r.err).toMatch(message);
    }
  });

  it('reads at most MAX_INPUT_BYTES + 1 bytes of a large regular file', async () => {
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, Buffer.alloc(MAX_INPUT_BYTES + 3 * 1048576, 0x20));
    expect((await readFileCapped(big, MAX_INPUT_BYTES)).length).toBe(
      MAX_INPUT_BYTES + 1,
    );
    const small = path.join(dir, 'small.yaml');
    fs.writeFileSync(small, 'a: 1\n');
    expect((await readFileCapped(small, MAX_INPUT_BYTES)).toString()).toBe(
      'a: 1\n',
    );
    const r = await run(['validate', '-f', big]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is larger than 5 MiB; at most 5 MiB is accepted/);
  });

  it('stops reading an endless standard input at the cap', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 65536;
        this.push(Buffer.alloc(65536));
      },
    });
    const buf = await readStreamCapped(endless, 1000000);
    expect(buf.length).toBe(1000001);
    expect(produced).toBeLessThan(2000000);
  });

  it('the installed command stops quietly when its reader goes away (render | head)', () => {
    const example = path.resolve(
      __dirname,
      '../../../examples/multi-node-router.yaml',
    );
    // 40 services, about 600 KB of JSON: far more than a pipe buffer, so writing continues after head exits
    const many = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'fusioninfer-epipe-')),
      'many.yaml',
    );
    const text = fs.readFileSync(example, 'utf8');
    fs.writeFileSync(
      many,
      Array.from({ length: 40 }, (_, i) =>
        text.replace(/name: (\S+)\n/, `name: $1-${i}\n`),
      ).join('\n---\n'),
    );
    const r = spawnSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${BIN}" render -f "${many}" -o json | head -c 10 >/dev/null`,
      ],
      { encoding: 'utf8', timeout: 60000 },
    );
    fs.rmSync(path.dirname(many), { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the installed command refuses /dev/zero at once (exit 2)', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'validate', '-f', '/dev/zero'],
      {
        encoding: 'utf8',
        timeout: 60000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a regular file/);
  });
});

describe('YAML 1.1 readers such as kubectl (review M8)', () => {
  it('quotes strings kubectl would read as booleans or numbers', async () => {
    const r = await run(
      ['render'],
      manifest('1', [
        '{name: A, value: "yes"}',
        '{name: B, value: "on"}',
        '{name: C, value: "1_000"}',
        '{name: D, value: "017"}',
        '{name: E, value: "0o17"}',
        '{name: F, value: "y"}',
      ]),
    );
    expect(r.code).toBe(0);
    for (const v of ['"yes"', '"on"', '"1_000"', '"017"', '"0o17"', '"y"'])
      expect(r.out).toContain(`value: ${v}`);
    const lws = parseAllDocuments(r.out)[0].toJS();
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].env.map(
        (e: { value: string }) => e.value,
      ),
    ).toEqual(['yes', 'on', '1_000', '017', '0o17', 'y']);
  });

  it('refuses numbers kubectl reads differently, naming the field', async () => {
    const r = await run(['render', '--summary'], manifest('017'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      'spec.roles[0].replicas: ambiguous value 017: kubectl (YAML 1.1) reads the number 15, YAML 1.2 the number 17',
    );
    for (const n of ['0o17', '0b11', '1_0']) {
      const x = await run(['validate'], manifest(n));
      expect({ n, code: x.code }).toEqual({ n, code: 1 });
      expect(x.err).toMatch(
        new RegExp(
          `^spec\\.roles\\[0\\]\\.replicas: ambiguous value ${n}`,
          'm',
        ),
      );
    }
    // plain decimal and quoted strings are fine
    expect((await run(['validate'], manifest('15'))).code).toBe(0);
  });

  it('refuses unquoted yes/on in strings, naming the field', async () => {
    const r = await run(['validate'], manifest('1', ['{name: A, value: yes}']));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^spec\.roles\[0\]\.template\.spec\.containers\[0\]\.env\[0\]\.value: ambiguous value yes: kubectl \(YAML 1\.1\) reads the boolean true/m,
    );
  });
});

describe('deeply nested YAML', () => {
  it('is refused before the recursive parser sees it (exit 2)', async () => {
    for (const text of [
      '['.repeat(100000),
      `${'- '.repeat(50000)}x`,
      `a: ${'{b: '.repeat(20000)}`,
    ]) {
      const r = await run(['validate'], text);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^fusioninfer: not usable YAML: nested too deeply/);
    }
  });
});

describe('render output for many services', () => {
  const examplesDir = path.resolve(__dirname, '../../../examples');
  const all = fs
    .readdirSync(examplesDir)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .map(f => fs.readFileSync(path.join(examplesDir, f), 'utf8'))
    .join('\n---\n');

  it('is written one child at a time, never as one string of everything', async () => {
    const writes: string[] = [];
    const io: CliIo = {
      readFile: async () => Buffer.from(''),
      readStdin: async () => Buffer.from(all),
      stdout: t => writes.push(t),
      stderr: () => {},
    };
    expect(await runCli(['render', '-o', 'json'], io)).toBe(0);
    const text = writes.join('');
    const list = JSON.parse(text);
    // byte for byte what JSON.stringify of the whole list printed before
    expect(text).toBe(`${JSON.stringify(list, null, 2)}\n`);
    expect(writes.length).toBe(list.items.length + 2);
    expect(Math.max(...writes.map(w => w.length))).toBeLessThan(
      text.length / 10,
    );
  });

  it('prints an empty List and an empty YAML stream for services without children', async () => {
    const none = manifest('0');
    const json = await run(['render', '-o', 'json'], none);
    expect(json.out).toBe(
      `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }, null, 2)}\n`,
    );
    expect((await run(['render'], none)).out).toBe('');
  });
});

/** Skipped (and counted as skipped) when kubectl is not on the machine. */
const describeWithKubectl =
  spawnSync('kubectl', ['version', '--client'], { timeout: 20000 }).status === 0
    ? describe
    : describe.skip;

describeWithKubectl('render | kubectl (when kubectl is installed)', () => {
  it('kubectl reads the YAML output exactly as the JSON output (review M8)', async () => {
    const input = manifest('2', [
      '{name: A, value: "yes"}',
      '{name: B, value: "on"}',
      '{name: C, value: "1_000"}',
      '{name: D, value: "017"}',
      '{name: E, value: "0o17"}',
      '{name: F, value: "n"}',
      '{name: G, value: "1:30"}',
      '{name: H, value: "0x1F"}',
      '{name: I, value: "~"}',
    ]);
    const yamlOut = (await run(['render'], input)).out;
    const jsonOut = JSON.parse(
      (await run(['render', '-o', 'json'], input)).out,
    );
    const docs = yamlOut.split(/^---\n/m);
    expect(docs).toHaveLength(jsonOut.items.length);
    // kubectl's YAML reader (sigs.k8s.io/yaml) reached offline: each document as a kubeconfig extension.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-kubectl-'));
    try {
      const config = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: c',
        '  cluster:',
        '    server: https://x',
        '    extensions:',
        ...docs.flatMap((d, i) => [
          `    - name: e${i}`,
          '      extension:',
          ...d
            .trimEnd()
            .split('\n')
            .map(l => `        ${l}`),
        ]),
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'config'), config);
      const read = JSON.parse(
        execFileSync(
          'kubectl',
          [
            'config',
            'view',
            '--kubeconfig',
            path.join(dir, 'config'),
            '-o',
            'json',
          ],
          { encoding: 'utf8', timeout: 30000 },
        ),
      );
      const asKubectlReads = read.clusters[0].cluster.extensions.map(
        (e: { extension: unknown }) => e.extension,
      );
      expect(asKubectlReads).toEqual(jsonOut.items);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
