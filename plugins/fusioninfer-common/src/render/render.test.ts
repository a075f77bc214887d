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

import { parse } from 'yaml';
import { loadExample, loadExamples } from '../__testUtils__/examples';
import {
  kindNames,
  MONOLITHIC_ROUTER_QWEN_CHILDREN,
} from '@fusioninfer/test-utils';
import { DEFAULT_EPP_IMAGE, DEFAULT_PD_EPP_IMAGE } from '../constants';
import { generateEndpointPickerConfig } from '../eppConfig';
import {
  ConfigMap,
  Deployment,
  HTTPRoute,
  InferencePool,
  KubeObject,
  LeaderWorkerSet,
  PodGroup,
} from '../types';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  rayLeaderCommandLine,
  rayLeaderContainerArgv,
  renderInferenceService,
} from '.';

const byKind = (children: KubeObject[], kind: string) =>
  children.filter(c => c.kind === kind);
const one = <T extends KubeObject>(children: KubeObject[], kind: string): T => {
  const found = byKind(children, kind);
  expect(found).toHaveLength(1);
  return found[0] as T;
};

describe('renderInferenceService', () => {
  it('renders monolithic-router-qwen as spec §3.13 describes', () => {
    const { children, summary } = renderInferenceService(
      loadExample('monolithic-router-qwen'),
    );
    expect(kindNames(children)).toEqual(MONOLITHIC_ROUTER_QWEN_CHILDREN);
    expect(children.every(c => c.metadata.namespace === 'default')).toBe(true);
    const lws = one<LeaderWorkerSet>(children, 'LeaderWorkerSet');
    expect(lws.spec.replicas).toBe(1);
    expect(lws.spec.startupPolicy).toBe('LeaderCreated');
    expect(lws.spec.rolloutStrategy).toEqual({ type: 'RollingUpdate' });
    expect(lws.spec.leaderWorkerTemplate.size).toBe(1);
    expect(lws.spec.leaderWorkerTemplate.leaderTemplate).toBeUndefined();
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.spec!.schedulerName,
    ).toBeUndefined();
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.metadata!.annotations,
    ).toBeUndefined();
    expect(lws.metadata.labels).toEqual({
      'fusioninfer.io/service': 'qwen-inference',
      'fusioninfer.io/component-type': 'worker',
      'fusioninfer.io/role-name': 'inference',
      'fusioninfer.io/replica-index': '0',
      'fusioninfer.io/spec-hash': expect.stringMatching(/^[4-9bcdf]+$/),
    });
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.metadata!.labels,
    ).toEqual(lws.metadata.labels);
    const pool = one<InferencePool>(children, 'InferencePool');
    expect(pool.spec).toEqual({
      selector: {
        matchLabels: {
          'fusioninfer.io/service': 'qwen-inference',
          'fusioninfer.io/component-type': 'worker',
          'leaderworkerset.sigs.k8s.io/worker-index': '0',
        },
      },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'qwen-inference-epp', port: { number: 9002 } },
    });
    const route = one<HTTPRoute>(children, 'HTTPRoute');
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'inference-gateway' }],
      rules: [
        {
          backendRefs: [
            {
              group: 'inference.networking.k8s.io',
              kind: 'InferencePool',
              name: 'qwen-inference-pool',
            },
          ],
        },
      ],
    });
    expect(summary.totals.gpus).toBe(1);
    expect(summary.gangScheduling).toBe(false);
    expect(summary.router?.strategy).toBe('prefix-cache');
  });

  it('renders multi-node-router with Ray wrapping and a PodGroup (spec §3.13)', () => {
    const { children } = renderInferenceService(
      loadExample('multi-node-router'),
    );
    const pg = one<PodGroup>(children, 'PodGroup');
    expect(pg.metadata.name).toBe('qwen-multi-node');
    expect(pg.spec).toEqual({
      minMember: 2,
      minTaskMember: { 'inference-0': 2 },
      minResources: { 'nvidia.com/gpu': '2' },
    });
    expect(pg.metadata.labels).toEqual({
      'fusioninfer.io/service': 'qwen-multi-node',
      'fusioninfer.io/spec-hash': expect.any(String),
    });
    const lws = one<LeaderWorkerSet>(children, 'LeaderWorkerSet');
    expect(lws.metadata.name).toBe('qwen-multi-node-inference-0');
    const t = lws.spec.leaderWorkerTemplate;
    expect(t.size).toBe(2);
    const leader = t.leaderTemplate!.spec!.containers[0];
    // The user's argv goes to the script as positional parameters, never into the shell text (review M1).
    expect(leader.command).toEqual([
      '/bin/sh',
      '-c',
      'ray start --head --port=6379 && exec "$@" --distributed-executor-backend ray',
      'sh',
    ]);
    expect(leader.args).toEqual([
      'vllm',
      'serve',
      '--model',
      'Qwen/Qwen3-8B',
      '--tensor-parallel-size',
      '2',
    ]);
    expect(leader.ports).toEqual([
      { name: 'ray-head', containerPort: 6379, protocol: 'TCP' },
    ]);
    expect(leader.readinessProbe).toEqual({
      tcpSocket: { port: 6379 },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 6,
    });
    const worker = t.workerTemplate.spec!.containers[0];
    expect(worker.args).toEqual([
      'ray start --address=$LWS_LEADER_ADDRESS:6379 --block',
    ]);
    expect(worker.readinessProbe).toBeUndefined();
    for (const tpl of [t.leaderTemplate!, t.workerTemplate]) {
      expect(tpl.spec!.schedulerName).toBe('volcano');
      expect(tpl.metadata!.annotations).toEqual({
        'scheduling.k8s.io/group-name': 'qwen-multi-node',
        'volcano.sh/task-spec': 'inference-0',
      });
      expect(tpl.spec!.volumes).toEqual([
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '10Gi' } },
      ]);
      expect(tpl.metadata!.labels!['fusioninfer.io/spec-hash']).toBe(
        lws.metadata.labels!['fusioninfer.io/spec-hash'],
      );
    }
    const pool = one<InferencePool>(children, 'InferencePool');
    expect(
      pool.spec.selector.matchLabels['fusioninfer.io/component-type'],
    ).toBe('worker');
  });

  it('computes the PodGroup of core-design story 4 (minMember 10, 80 GPUs)', () => {
    const { children, summary } = renderInferenceService(
      loadExample('pd-multi-node-deepseek-no-router'),
    );
    const pg = one<PodGroup>(children, 'PodGroup');
    expect(pg.spec).toEqual({
      minMember: 10,
      minTaskMember: { 'prefill-0': 2, 'decode-0': 4, 'decode-1': 4 },
      minResources: { 'nvidia.com/gpu': '80' },
    });
    expect(summary.totals.gpus).toBe(80);
    expect(summary.totals.pods).toBe(10);
    expect(
      byKind(children, 'LeaderWorkerSet').map(l => l.metadata.name),
    ).toEqual([
      'deepseek-r1-disagg-prefill-0',
      'deepseek-r1-disagg-decode-0',
      'deepseek-r1-disagg-decode-1',
    ]);
  });

  it('gang-schedules prefillers and decoders of a single-node P/D service', () => {
    const { children } = renderInferenceService(
      loadExample('pd-disaggregated-no-router'),
    );
    const pg = one<PodGroup>(children, 'PodGroup');
    expect(pg.spec.minMember).toBe(6);
    expect(Object.keys(pg.spec.minTaskMember!)).toEqual([
      'prefill-0',
      'prefill-1',
      'decode-0',
      'decode-1',
      'decode-2',
      'decode-3',
    ]);
    const lws = byKind(children, 'LeaderWorkerSet') as LeaderWorkerSet[];
    expect(lws).toHaveLength(6);
    for (const l of lws) {
      expect(l.spec.leaderWorkerTemplate.leaderTemplate).toBeUndefined();
      expect(
        l.spec.leaderWorkerTemplate.workerTemplate.spec!.schedulerName,
      ).toBe('volcano');
    }
    // Single-node pods keep the user's argv untouched, including the JSON argument.
    expect(
      lws[0].spec.leaderWorkerTemplate.workerTemplate.spec!.containers[0].args,
    ).toEqual([
      '--model',
      'Qwen/Qwen3-8B',
      '--kv-transfer-config',
      '{"kv_connector":"PyNcclConnector","kv_role":"kv_producer"}',
    ]);
  });

  it('renders the P/D router with the llm-d EPP image and the P/D config, without component-type in the pool', () => {
    const { children, summary } = renderInferenceService(
      loadExample('router-pd-disaggregation-3-decode'),
    );
    const dep = one<Deployment>(children, 'Deployment');
    expect(dep.spec.template.spec!.containers[0].image).toBe(
      DEFAULT_PD_EPP_IMAGE,
    );
    const cm = one<ConfigMap>(children, 'ConfigMap');
    expect(cm.data!['config.yaml']).toBe(
      generateEndpointPickerConfig('pd-disaggregation', true),
    );
    expect(cm.data!['config.yaml']).toContain('type: pd-profile-handler');
    const pool = one<InferencePool>(children, 'InferencePool');
    expect(pool.spec.selector.matchLabels).toEqual({
      'fusioninfer.io/service': 'disaggregated-llm-service',
      'leaderworkerset.sigs.k8s.io/worker-index': '0',
    });
    expect(summary.router).toMatchObject({
      strategy: 'pd-disaggregation',
      needsLlmD: true,
    });
    expect(byKind(children, 'LeaderWorkerSet')).toHaveLength(5);
  });

  it('renders the EPP Deployment of spec §3.8 plus the config checksum and the KV metric flag', () => {
    const { children } = renderInferenceService(
      loadExample('router-kv-cache-utilization'),
    );
    const dep = one<Deployment>(children, 'Deployment');
    const cm = one<ConfigMap>(children, 'ConfigMap');
    expect(dep.metadata.labels).toEqual({
      app: 'balanced-llm-service-epp',
      'fusioninfer.io/service': 'balanced-llm-service',
      'fusioninfer.io/spec-hash': expect.any(String),
    });
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
    expect(dep.spec.selector).toEqual({
      matchLabels: {
        app: 'balanced-llm-service-epp',
        'fusioninfer.io/service': 'balanced-llm-service',
      },
    });
    expect(
      dep.spec.template.metadata!.annotations![
        'fusioninfer.io/config-checksum'
      ],
    ).toBe(cm.metadata.labels!['fusioninfer.io/spec-hash']);
    const c = dep.spec.template.spec!.containers[0];
    expect(c.image).toBe(DEFAULT_EPP_IMAGE);
    expect(c.args).toEqual([
      '--pool-name=balanced-llm-service-pool',
      '--pool-namespace=default',
      '--config-file=/config/config.yaml',
      '--kv-cache-usage-percentage-metric=vllm:kv_cache_usage_perc',
    ]);
    expect(c.ports!.map(p => [p.name, p.containerPort])).toEqual([
      ['grpc', 9002],
      ['grpc-health', 9003],
      ['metrics', 9090],
    ]);
    expect(cm.data!['config.yaml']).toContain('kv-cache-utilization-scorer');
    expect(parse(cm.data!['config.yaml']).kind).toBe('EndpointPickerConfig');
  });

  it('rolls the EPP when only the strategy changes', () => {
    const a = loadExample('router-prefix-cache-simple');
    const b = JSON.parse(JSON.stringify(a));
    b.spec.roles[0].strategy = 'queue-size';
    const depA = one<Deployment>(
      renderInferenceService(a).children,
      'Deployment',
    );
    const depB = one<Deployment>(
      renderInferenceService(b).children,
      'Deployment',
    );
    expect(depA.metadata.labels!['fusioninfer.io/spec-hash']).not.toBe(
      depB.metadata.labels!['fusioninfer.io/spec-hash'],
    );
    expect(depA.spec.template.metadata!.annotations).not.toEqual(
      depB.spec.template.metadata!.annotations,
    );
  });

  it('uses a custom endpointPickerConfig verbatim', () => {
    const isvc = loadExample('router-custom-endpointpickerconfig');
    const cm = one<ConfigMap>(
      renderInferenceService(isvc).children,
      'ConfigMap',
    );
    expect(cm.data!['config.yaml']).toBe(
      isvc.spec.roles[0].endpointPickerConfig,
    );
    const route = one<HTTPRoute>(
      renderInferenceService(isvc).children,
      'HTTPRoute',
    );
    expect(route.spec.parentRefs).toEqual([
      { name: 'my-gateway', namespace: 'gateway-system' },
    ]);
    expect(route.spec.hostnames).toEqual(['advanced.example.com']);
  });

  it('honours options: namespace, images, owner uid, KV flag off, EPP metrics auth off', () => {
    const isvc = {
      ...loadExample('single-node-router-2-replicas'),
      metadata: { name: 'qwen', namespace: 'team-a', uid: 'u-1' },
    };
    const { children } = renderInferenceService(isvc, {
      namespace: 'ml',
      eppImage: 'epp:dev',
      kvCacheMetric: null,
      eppMetricsAuth: false,
    });
    expect(children.every(c => c.metadata.namespace === 'ml')).toBe(true);
    expect(
      children.every(
        c =>
          c.metadata.ownerReferences?.[0]?.uid === 'u-1' &&
          c.metadata.ownerReferences[0].controller === true,
      ),
    ).toBe(true);
    const c = one<Deployment>(children, 'Deployment').spec.template.spec!
      .containers[0];
    expect(c.image).toBe('epp:dev');
    expect(c.args).toEqual([
      '--pool-name=qwen-pool',
      '--pool-namespace=ml',
      '--config-file=/config/config.yaml',
      '--metrics-endpoint-auth=false',
    ]);
    expect(children.find(x => x.kind === 'RoleBinding')!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'qwen-epp', namespace: 'ml' },
    ]);
  });

  it('gives no owner reference when the uid is unknown', () => {
    const { children } = renderInferenceService(
      loadExample('monolithic-no-router'),
    );
    expect(children.every(c => c.metadata.ownerReferences === undefined)).toBe(
      true,
    );
  });

  it('renders one LWS per replica, none for zero replicas', () => {
    const isvc = loadExample('router-prefix-cache-simple');
    expect(
      byKind(renderInferenceService(isvc).children, 'LeaderWorkerSet').map(
        l => l.metadata.name,
      ),
    ).toEqual([
      'my-service-inference-0',
      'my-service-inference-1',
      'my-service-inference-2',
    ]);
    isvc.spec.roles[1].replicas = 0;
    expect(
      byKind(renderInferenceService(isvc).children, 'LeaderWorkerSet'),
    ).toHaveLength(0);
  });

  it('is deterministic and insensitive to the service labels and annotations', () => {
    for (const isvc of Object.values(loadExamples())) {
      const a = renderInferenceService(isvc);
      const b = renderInferenceService({
        ...isvc,
        metadata: {
          ...isvc.metadata,
          labels: { x: 'y' },
          annotations: { a: 'b' },
        },
      });
      expect(b).toEqual(a);
    }
  });
});

/**
 * The kubelet's `$(VAR)` expansion of command and args (port of k8s.io/kubernetes third_party/forked/golang/expansion):
 * `$$` → `$`, `$(NAME)` → the variable's value when defined (kept literally otherwise), any other `$` kept.
 */
function kubeletExpand(input: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) {
      out += input[i];
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      out += Object.hasOwn(env, name) ? env[name] : `$(${name})`;
      i = end;
    } else out += '$';
  }
  return out;
}

describe('multi-node leader and the kubelet (review M1)', () => {
  const hostile = "qwen'; touch PWNED; echo '";
  const argv = [
    '--model',
    'Qwen/Qwen3-8B',
    '--served-model-name',
    '$(MODEL_NAME)',
  ];

  /** Runs a rendered leader container as the kubelet and /bin/sh would, with `ray` and `vllm` stubbed. */
  function runLeader(container: { command?: string[]; args?: string[] }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-leader-'));
    try {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'ray'), '#!/bin/sh\nexit 0\n', {
        mode: 0o755,
      });
      fs.writeFileSync(
        path.join(bin, 'vllm'),
        '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n',
        { mode: 0o755 },
      );
      const env = { MODEL_NAME: hostile };
      const full = [
        ...(container.command ?? []),
        ...(container.args ?? []),
      ].map(a => kubeletExpand(a, env));
      const stdout = execFileSync(full[0], full.slice(1), {
        cwd: dir,
        env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
        encoding: 'utf8',
      });
      return {
        argv: stdout.split('\n').slice(0, -1),
        pwned: fs.existsSync(path.join(dir, 'PWNED')),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('never lets an expanded $(VAR) value become shell code', () => {
    const svc = {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'svc' },
      spec: {
        roles: [
          {
            name: 'w',
            componentType: 'worker',
            multinode: { nodeCount: 2 },
            template: {
              spec: {
                containers: [
                  {
                    name: 'c',
                    image: 'vllm:ok',
                    args: argv,
                    env: [
                      {
                        name: 'MODEL_NAME',
                        valueFrom: { configMapKeyRef: { name: 'm', key: 'k' } },
                      },
                    ],
                  },
                ],
              },
            },
          },
        ],
      },
    };
    const lws = renderInferenceService(svc).children.find(
      c => c.kind === 'LeaderWorkerSet',
    ) as LeaderWorkerSet;
    const leader =
      lws.spec.leaderWorkerTemplate.leaderTemplate!.spec!.containers[0];
    const run = runLeader(leader);
    expect(run.pwned).toBe(false);
    expect(run.argv).toEqual([
      'serve',
      '--model',
      'Qwen/Qwen3-8B',
      '--served-model-name',
      hostile,
      '--distributed-executor-backend',
      'ray',
    ]);
  });

  it('(the harness detects the injection in the former single-line shape)', () => {
    const run = runLeader({
      command: ['/bin/sh', '-c'],
      args: [rayLeaderCommandLine([], argv)],
    });
    expect(run.pwned).toBe(true);
  });

  it('passes hostile literal arguments through unchanged as well', () => {
    const literal = [
      '$(id)',
      '`id`',
      '; touch PWNED',
      '"a b"',
      "it's",
      '$HOME',
      '\\',
      '*',
      '--x={"a":1}',
    ];
    const run = runLeader(rayLeaderContainerArgv(['vllm', 'serve'], literal));
    expect(run.pwned).toBe(false);
    // $(id) is not a defined variable, so the kubelet keeps it literally
    expect(run.argv).toEqual([
      'serve',
      ...literal,
      '--distributed-executor-backend',
      'ray',
    ]);
  });

  it('adds the executor flag only when none is set', () => {
    expect(
      rayLeaderContainerArgv([], ['--distributed-executor-backend=mp']),
    ).toEqual({
      command: [
        '/bin/sh',
        '-c',
        'ray start --head --port=6379 && exec "$@"',
        'sh',
      ],
      args: ['vllm', 'serve', '--distributed-executor-backend=mp'],
    });
  });
});

describe('rayLeaderCommandLine', () => {
  it('matches the upstream reference strings for plain arguments', () => {
    expect(rayLeaderCommandLine([], ['--model', 'Qwen/Qwen3-8B'])).toBe(
      'ray start --head --port=6379 && vllm serve --model Qwen/Qwen3-8B --distributed-executor-backend ray',
    );
    expect(
      rayLeaderCommandLine(
        ['python', '-m', 'vllm.entrypoints.openai.api_server'],
        ['--model', 'Qwen/Qwen3-8B'],
      ),
    ).toBe(
      'ray start --head --port=6379 && python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen3-8B --distributed-executor-backend ray',
    );
  });
  it('does not add a second executor flag and leaves no trailing space (upstream gap 12)', () => {
    expect(
      rayLeaderCommandLine(
        ['vllm', 'serve'],
        ['--model', 'test', '--distributed-executor-backend', 'mp'],
      ),
    ).toBe(
      'ray start --head --port=6379 && vllm serve --model test --distributed-executor-backend mp',
    );
    expect(
      rayLeaderCommandLine([], ['--distributed-executor-backend=mp']),
    ).toBe(
      'ray start --head --port=6379 && vllm serve --distributed-executor-backend=mp',
    );
  });
  it('quotes arguments so the shell passes each through unchanged', () => {
    const line = rayLeaderCommandLine(
      [],
      [
        '--kv-transfer-config',
        '{"kv_connector":"NixlConnector","kv_role":"kv_both"}',
        "it's",
      ],
    );
    expect(line).toBe(
      `ray start --head --port=6379 && vllm serve --kv-transfer-config '{"kv_connector":"NixlConnector","kv_role":"kv_both"}' 'it'"'"'s' --distributed-executor-backend ray`,
    );
  });
  it('never renders an empty command or doubled spaces', () => {
    expect(rayLeaderCommandLine([], [])).toBe(
      'ray start --head --port=6379 && vllm serve --distributed-executor-backend ray',
    );
    expect(rayLeaderCommandLine([], [''])).toBe(
      "ray start --head --port=6379 && vllm serve '' --distributed-executor-backend ray",
    );
  });
});

describe('generateEndpointPickerConfig', () => {
  it('is byte-identical to the upstream prefix-cache document', () => {
    expect(generateEndpointPickerConfig('prefix-cache', false))
      .toBe(`apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefix-cache-scorer
  parameters:
    blockSize: 5
    maxPrefixBlocksToMatch: 256
    lruCapacityPerServer: 31250
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 100
`);
  });
  it.each([
    ['kv-cache-utilization', 'kv-cache-utilization-scorer'],
    ['queue-size', 'queue-scorer'],
    ['lora-affinity', 'lora-affinity-scorer'],
  ])('%s uses %s with weight 100 and no parameters', (strategy, scorer) => {
    const doc = parse(generateEndpointPickerConfig(strategy, false));
    expect(doc).toEqual({
      apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
      kind: 'EndpointPickerConfig',
      plugins: [{ type: scorer }, { type: 'max-score-picker' }],
      schedulingProfiles: [
        {
          name: 'default',
          plugins: [
            { pluginRef: 'max-score-picker' },
            { pluginRef: scorer, weight: 100 },
          ],
        },
      ],
    });
  });
  it('falls back to prefix-cache for unknown strategies and for P/D without prefillers and decoders', () => {
    const prefix = generateEndpointPickerConfig('prefix-cache', false);
    expect(generateEndpointPickerConfig(undefined, false)).toBe(prefix);
    expect(generateEndpointPickerConfig('bogus', true)).toBe(prefix);
    expect(generateEndpointPickerConfig('pd-disaggregation', false)).toBe(
      prefix,
    );
  });
  it('renders the P/D profiles of spec §3.7', () => {
    const doc = parse(generateEndpointPickerConfig('pd-disaggregation', true));
    expect(
      doc.plugins.map((p: { type: string; name?: string }) => p.name ?? p.type),
    ).toEqual([
      'pd-profile-handler',
      'prefill-header-handler',
      'prefill-pods',
      'decode-pods',
      'prefix-cache-scorer',
      'max-score-picker',
    ]);
    expect(doc.plugins[0].parameters).toEqual({
      threshold: 0,
      hashBlockSize: 5,
      primaryPort: 8000,
    });
    expect(doc.plugins[2].parameters).toEqual({
      label: 'fusioninfer.io/component-type',
      validValues: ['prefiller'],
    });
    expect(doc.schedulingProfiles).toEqual([
      {
        name: 'prefill',
        plugins: [
          { pluginRef: 'prefill-pods' },
          { pluginRef: 'max-score-picker' },
          { pluginRef: 'prefix-cache-scorer', weight: 50 },
        ],
      },
      {
        name: 'decode',
        plugins: [
          { pluginRef: 'decode-pods' },
          { pluginRef: 'max-score-picker' },
          { pluginRef: 'prefix-cache-scorer', weight: 50 },
        ],
      },
    ]);
  });
});
