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

import { parseAllDocuments } from 'yaml';
import {
  exampleText as example,
  kindNames,
  MONOLITHIC_ROUTER_QWEN_CHILDREN,
} from '@fusioninfer/test-utils';
import { CliIo, MAX_INPUT_BYTES, runCli } from './cli';

async function run(
  argv: string[],
  stdin: string | Buffer = '',
  files: Record<string, string | Buffer> = {},
) {
  let out = '';
  let err = '';
  const io: CliIo = {
    readFile: async p => {
      if (!(p in files))
        throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return Buffer.from(files[p]);
    },
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

describe('fusioninfer validate', () => {
  it('exits 0 for a valid manifest, with warnings on stderr', async () => {
    const r = await run(['validate', '-f', 'x.yaml'], '', {
      'x.yaml': example('router-custom-endpointpickerconfig'),
    });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
  });
  it('reads standard input with -f - or no -f', async () => {
    expect(
      (await run(['validate', '-f', '-'], example('monolithic-no-router')))
        .code,
    ).toBe(0);
    expect(
      (await run(['validate'], example('monolithic-no-router'))).code,
    ).toBe(0);
  });
  it('skips empty documents like kubectl (a leading or trailing "---", files joined with "---")', async () => {
    const svc = example('monolithic-no-router');
    for (const input of [
      `${svc}---\n`,
      `---\n${svc}---\n# end\n`,
      `${svc}---\n---\n${svc.replace('name: qwen-inference', 'name: other')}`,
    ]) {
      const r = await run(['validate'], input);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    const r = await run(['render'], `${svc}---\n`);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });
  it('takes flag values after "=" in long and short form (--output=json, -o=json, -n=ml), as kubectl does', async () => {
    for (const argv of [
      ['render', '--filename=x.yaml', '--output=json', '--namespace=ml'],
      ['render', '-f=x.yaml', '-o=json', '-n=ml'],
    ]) {
      const r = await run(argv, '', {
        'x.yaml': example('monolithic-no-router'),
      });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).items[0].metadata.namespace).toBe('ml');
    }
  });
  it('exits 1 with one "path: message" line per error', async () => {
    const bad = example('monolithic-no-router')
      .replace('replicas: 1', 'replicas: -1')
      .replace('name: qwen-inference', 'name: Qwen');
    const r = await run(['validate'], bad);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^[a-zA-Z.[\]0-9"/-]+: \S/);
    expect(lines.some(l => l.startsWith('metadata.name: '))).toBe(true);
    expect(lines.some(l => l.startsWith('spec.roles[0].replicas: '))).toBe(
      true,
    );
  });
  it('prints warnings with a warning: prefix', async () => {
    const r = await run(
      ['validate'],
      example('monolithic-no-router').replace(
        'componentType: worker',
        'componentType: worker\n      strategy: queue-size',
      ),
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('warning: spec.roles[0].strategy: is ignored');
  });
  it('validates every document of a multi-document stream and names the failing one', async () => {
    const stream = `${example('monolithic-no-router')}\n---\n${example('multi-node-router').replace('nodeCount: 2', 'nodeCount: 0')}`;
    const r = await run(['validate'], stream);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^documents\[1\] \(qwen-multi-node\): spec\.roles\[1\]\.multinode\.nodeCount: /m,
    );
  });
});

describe('fusioninfer render', () => {
  it('prints every child as YAML documents', async () => {
    const r = await run(['render', '-f', 'x.yaml'], '', {
      'x.yaml': example('monolithic-router-qwen'),
    });
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out).map(d => d.toJS());
    expect(kindNames(docs)).toEqual(MONOLITHIC_ROUTER_QWEN_CHILDREN);
    // The EPP config survives the YAML round trip byte for byte.
    expect(docs[4].data['config.yaml']).toContain('prefix-cache-scorer');
  });
  it('prints one v1 List with -o json and honours -n', async () => {
    const r = await run(
      ['render', '-o', 'json', '-n', 'ml'],
      example('pd-multi-node-deepseek-no-router'),
    );
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out);
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items.map((i: any) => i.kind)).toEqual([
      'PodGroup',
      'LeaderWorkerSet',
      'LeaderWorkerSet',
      'LeaderWorkerSet',
    ]);
    expect(list.items.every((i: any) => i.metadata.namespace === 'ml')).toBe(
      true,
    );
  });
  it('renders each document of a multi-document stream and expands Lists', async () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [parseAllDocuments(example('monolithic-no-router'))[0].toJS()],
    });
    const r = await run(
      ['render', '-o', 'json'],
      `${example('multi-node-router')}\n---\n${list}\n`,
    );
    expect(r.code).toBe(0);
    const names = JSON.parse(r.out).items.map((i: any) => i.metadata.name);
    expect(names).toContain('qwen-multi-node-inference-0');
    expect(names).toContain('qwen-inference-inference-0');
  });
  it('adds a summary with GPU totals on stderr', async () => {
    const r = await run(
      ['render', '--summary'],
      example('pd-multi-node-deepseek-no-router'),
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      'default/deepseek-r1-disagg: prefill 1×2 pods, decode 2×4 pods; 10 pods, 80 GPUs (nvidia.com/gpu: 80); gang scheduling yes',
    );
  });
  it('says 1 GPU and 1 pod in the singular', async () => {
    const r = await run(
      ['render', '--summary'],
      example('monolithic-no-router'),
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/×1 pod; 1 pod, 1 GPU \(nvidia.com\/gpu: 1\)/);
  });
  it('counts sidecar, MIG and shared GPUs and DRA claims in the summary (N-H1)', async () => {
    const sneaky = (extra: string) => `apiVersion: fusioninfer.io/v1alpha1
kind: InferenceService
metadata:
  name: sneaky
spec:
  roles:
    - name: inference
      componentType: worker
      replicas: 4
      template:
        spec:
${extra}`;
    const r = await run(
      ['render', '--summary'],
      sneaky(`          initContainers:
            - name: side
              image: busybox
              restartPolicy: Always
              resources:
                limits:
                  nvidia.com/gpu: "8"
          containers:
            - name: main
              image: vllm/vllm-openai:latest
              resources:
                limits:
                  nvidia.com/mig-3g.40gb: "2"
                  nvidia.com/gpu.shared: "4"
`),
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      'default/sneaky: inference 4×1 pod; 4 pods, 51.429 GPUs (nvidia.com/gpu: 32, nvidia.com/mig-3g.40gb: 8, nvidia.com/gpu.shared: 16); gang scheduling no',
    );
    const dra = await run(
      ['render', '--summary'],
      sneaky(`          resourceClaims:
            - name: gpus
              resourceClaimTemplateName: eight-h200
          containers:
            - name: main
              image: vllm/vllm-openai:latest
              resources:
                claims:
                  - name: gpus
`),
    );
    expect(dra.code).toBe(0);
    expect(dra.err).toContain(
      'default/sneaky: inference 4×1 pod; 4 pods, 0 GPUs, 4 DRA resource claims (devices not counted); gang scheduling no',
    );
  });
  it('exits 1 on an invalid manifest with the validate messages, printing nothing', async () => {
    const r = await run(
      ['render'],
      example('monolithic-no-router').replace(
        'kind: InferenceService',
        'kind: Deployment',
      ),
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      'kind: must be "InferenceService", got "Deployment"',
    );
  });
});

const QWEN3_8B_CONFIG = JSON.stringify({
  architectures: ['Qwen3ForCausalLM'],
  hidden_size: 4096,
  intermediate_size: 12288,
  max_position_embeddings: 40960,
  num_attention_heads: 32,
  num_hidden_layers: 36,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 151936,
  torch_dtype: 'bfloat16',
});

describe('fusioninfer preflight', () => {
  const qwen = example('monolithic-router-qwen');

  it('estimates a model from its --model-config on a --gpu, and places the pods on --nodes', async () => {
    const r = await run(
      [
        'preflight',
        '--gpu',
        'H100-80GB',
        '--nodes',
        '4x8',
        '--model-config',
        'c.json',
      ],
      qwen,
      { 'c.json': QWEN3_8B_CONFIG },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^default\/qwen-inference: starts\n/);
    expect(r.out).toContain('vLLM Qwen/Qwen3-8B, TP 1 × PP 1');
    expect(r.out).toMatch(
      /KV cache [0-9,]+ tokens \(147,456 bytes per token per GPU\)/,
    );
    expect(r.out).toContain(
      'placement: fits: 1 pod with 1 GPU (32 of 32 GPUs free on 4 nodes)',
    );
  });

  it('exits 1 with vLLM’s error and a fix when the model does not start, and prints JSON with -o json', async () => {
    const r = await run(
      [
        'preflight',
        '--gpu-memory',
        '24GiB',
        '--model-config=Qwen/Qwen3-8B=c.json',
        '-o',
        'json',
      ],
      qwen,
      { 'c.json': QWEN3_8B_CONFIG },
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.verdict).toBe('does-not-start');
    expect(report.roles[0].error).toMatch(
      /^ValueError: To serve at least one request with the models's max seq len \(40960\)/,
    );
    expect(report.roles[0].fix).toMatch(/^set --max-model-len [0-9]+/);
    expect(report.gang.message).toBe(
      'cluster unknown: no snapshot of its nodes',
    );
  });

  it('exits 1 when the gang cannot be placed, naming the blocking shape', async () => {
    const r = await run(
      ['preflight', '--nodes', '2x8,1x4'],
      example('multi-node-deepseek-no-router'),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'placement: does not fit: the gang of 8 pods must start together and only 2 can be placed now',
    );
  });

  it('says unknown for a model it does not know rather than guess', async () => {
    const r = await run(
      ['preflight', '--gpu', 'L4'],
      qwen.replace('Qwen/Qwen3-8B', 'acme/private-model'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'model acme/private-model is unknown to the pre-flight',
    );
  });

  it('refuses unreadable flags with usage', async () => {
    for (const [argv, message] of [
      [['preflight', '--gpu', 'X100'], 'unknown GPU product "X100"'],
      [
        ['preflight', '--gpu-memory', 'lots'],
        '--gpu-memory "lots" is not an amount of memory',
      ],
      [['preflight', '--nodes', '4by8'], '--nodes "4by8" is not COUNTxGPUS'],
      [['render', '--gpu', 'L4'], '--gpu only applies to preflight'],
      [['preflight', '-o', 'yaml'], 'unsupported output "yaml" (text or json)'],
    ] as const) {
      const r = await run([...argv], qwen);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
    }
    const notJson = await run(['preflight', '--model-config', 'c.json'], qwen, {
      'c.json': 'nope',
    });
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/--model-config c.json: not JSON/);
  });
});

describe('bad input never gives a stack trace', () => {
  const cases: Array<[string, string | Buffer, number, RegExp]> = [
    ['empty input', '', 1, /holds no document/],
    ['only comments', '# nothing\n', 1, /holds no document/],
    [
      'a YAML list',
      '- a\n- b\n',
      1,
      /must be an InferenceService object .* got a list/,
    ],
    ['a scalar', 'hello', 1, /got "hello"/],
    ['broken YAML', 'a: [1, 2\nb: }', 2, /not valid YAML/],
    ['duplicate keys', 'a: 1\na: 2\n', 2, /not valid YAML/],
    [
      'a YAML bomb',
      [
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        ...'bcdefghij'
          .split('')
          .map(
            (c, i) =>
              `${c}: &${c} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`,
          ),
      ].join('\n'),
      2,
      /YAML/,
    ],
    [
      'binary data',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]),
      2,
      /binary/,
    ],
    [
      'wrong apiVersion',
      'apiVersion: v1\nkind: InferenceService\nmetadata: {name: a}\nspec: {roles: []}\n',
      1,
      /apiVersion: must be "fusioninfer.io\/v1alpha1"/,
    ],
    [
      'JSON input',
      JSON.stringify({
        apiVersion: 'fusioninfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'j' },
        spec: { roles: 3 },
      }),
      1,
      /spec\.roles: /,
    ],
  ];
  it.each(cases)('%s', async (_name, input, code, message) => {
    for (const cmd of ['validate', 'render']) {
      const r = await run([cmd], input);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
  it('refuses 10 MB of text', async () => {
    const r = await run(['validate'], 'x'.repeat(10 * 1024 * 1024));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`at most ${MAX_INPUT_BYTES / 1048576} MiB`),
    );
  });
  it('explains a missing file', async () => {
    const r = await run(['render', '-f', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('fusioninfer: cannot read nope.yaml: no such file\n');
  });
  it('rejects unknown commands and flags with usage', async () => {
    expect((await run(['deploy'])).code).toBe(2);
    const r = await run(['render', '-o', 'xml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unsupported output "xml"');
    expect((await run(['validate', '--bogus'])).err).toContain(
      'unknown flag "--bogus"',
    );
  });
  it('prints help and version', async () => {
    expect((await run(['--help'])).out).toContain('fusioninfer render');
    expect((await run(['--version'])).out).toBe('1.2.3\n');
  });
});
