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

import { execFile, execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import fetch from 'node-fetch';
import { parse } from 'yaml';
import { waitFor } from '@fusioninfer/test-utils';
import { KObject } from '../api';
import { DevCluster, startDevCluster } from '../cluster';
import { DEV_GATEWAY, demoGateway } from './gateway';

jest.setTimeout(60_000);

const GW = 'gateway.networking.k8s.io';
const POOL = 'inference.networking.k8s.io';
const ns = 'default';

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('simulated Gateway (class fusioninfer-dev)', () => {
  let dev: DevCluster;
  const T = (group: string, plural: string) =>
    dev.api.findType(group, 'v1', plural)!;
  const create = (group: string, plural: string, body: any) =>
    dev.api.create(T(group, plural), body.metadata.namespace ?? ns, body, {
      fieldManager: 'test',
    });
  const get = (group: string, plural: string, name: string) =>
    dev.api.tryGet(T(group, plural), ns, name);

  // Two model-server LWS (stable, canary), each behind an InferencePool and a Service.
  const lws = (name: string) => ({
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      leaderWorkerTemplate: {
        size: 1,
        workerTemplate: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai:v0.27.1',
                args: ['--model', 'Qwen/Qwen3-8B'],
                ports: [{ containerPort: 8000 }],
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      },
    },
  });
  const pool = (name: string, app: string) => ({
    apiVersion: `${POOL}/v1`,
    kind: 'InferencePool',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: `${name}-epp`, port: { number: 9002 } },
    },
  });
  const poolRef = (name: string, weight?: number) => ({
    group: POOL,
    kind: 'InferencePool',
    name,
    ...(weight !== undefined ? { weight } : {}),
  });
  const gateway = (name: string, annotations?: Record<string, string>) => {
    const g = demoGateway(ns, name) as any;
    if (annotations) g.metadata.annotations = annotations;
    return create(GW, 'gateways', g);
  };
  const route = (name: string, spec: Record<string, unknown>) =>
    create(GW, 'httproutes', {
      apiVersion: `${GW}/v1`,
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec,
    });
  const ourParent = (name: string) =>
    (get(GW, 'httproutes', name)?.status?.parents ?? []).find(
      (p: any) => p.controllerName === DEV_GATEWAY.controllerName,
    );
  const cond = (parent: any, type: string) =>
    parent?.conditions?.find((c: any) => c.type === type);

  /** Sends a request through the Gateway's Service proxy, as `kubectl get --raw` and client-node's proxy do. */
  const send = async (
    gw: string,
    p = '/v1/completions',
    host?: string,
  ): Promise<{ status: number; backend?: string; endpoint?: string }> => {
    const r = await fetch(
      `${dev.url}/api/v1/namespaces/${ns}/services/${gw}:80/proxy${p}`,
      {
        method: p === '/v1/completions' ? 'POST' : 'GET',
        headers: {
          'content-type': 'application/json',
          ...(host ? { host } : {}),
        },
        ...(p === '/v1/completions'
          ? { body: JSON.stringify({ prompt: 'hi', max_tokens: 1 }) }
          : {}),
      },
    );
    await r.arrayBuffer();
    return {
      status: r.status,
      backend: r.headers.get(DEV_GATEWAY.backendHeader) ?? undefined,
      endpoint: r.headers.get(DEV_GATEWAY.destinationHeader) ?? undefined,
    };
  };
  /** n requests, 20 at a time; the backends that answered, by count. */
  const sendMany = async (gw: string, n: number) => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, () => send(gw)),
      );
      for (const r of batch) {
        const key = r.status === 200 ? r.backend! : String(r.status);
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    return counts;
  };
  const podOf = (app: string) =>
    dev.api
      .scan(dev.api.findType('', 'v1', 'pods')!, ns)
      .find(p => p.metadata.labels?.app === app) as KObject;

  beforeAll(async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 40, engine: { timeScale: 200 } },
    });
    for (const name of ['stable', 'canary'])
      create('leaderworkerset.x-k8s.io', 'leaderworkersets', lws(name));
    create(POOL, 'inferencepools', pool('pool-stable', 'stable'));
    create(POOL, 'inferencepools', pool('pool-canary', 'canary'));
    create(POOL, 'inferencepools', pool('pool-empty', 'nothing-matches'));
    create('', 'services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc-stable', namespace: ns },
      spec: { selector: { app: 'stable' }, ports: [{ port: 8000 }] },
    });
    await waitFor(
      () =>
        ['stable', 'canary'].every(a =>
          podOf(a)?.status?.conditions?.some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
        ),
      { timeoutMs: 20_000, what: 'the stable and canary model servers' },
    );
  });
  afterAll(() => dev.close());

  it('gives each Gateway a Service of its name and Accepted / Programmed status with its address', async () => {
    gateway('gw-status');
    const svcT = dev.api.findType('', 'v1', 'services')!;
    const gw = await waitFor(
      () => {
        const g = get(GW, 'gateways', 'gw-status');
        return cond(g?.status, 'Programmed')?.status === 'True' && g;
      },
      { what: 'the Gateway Programmed' },
    );
    const svc = dev.api.get(svcT, ns, 'gw-status');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p: any) => p.port)).toEqual([80]);
    expect(svc.metadata.labels[DEV_GATEWAY.nameLabel]).toBe('gw-status');
    expect(svc.metadata.ownerReferences[0]).toMatchObject({
      kind: 'Gateway',
      uid: gw.metadata.uid,
      controller: true,
    });
    expect(gw.status.addresses).toEqual([
      { type: 'IPAddress', value: svc.spec.clusterIP },
    ]);
    expect(cond(gw.status, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(gw.status.listeners[0]).toMatchObject({
      name: 'http',
      supportedKinds: [{ group: GW, kind: 'HTTPRoute' }],
      attachedRoutes: 0,
    });
    // a Gateway of another class is left alone
    create(GW, 'gateways', {
      ...demoGateway(ns, 'other-class'),
      spec: { ...demoGateway(ns).spec, gatewayClassName: 'istio' },
    });
    route('on-other', {
      parentRefs: [{ name: 'other-class' }, { name: 'gw-status' }],
      rules: [{ backendRefs: [poolRef('pool-stable')] }],
    });
    await waitFor(
      () =>
        get(GW, 'gateways', 'gw-status')?.status?.listeners?.[0]
          ?.attachedRoutes === 1,
      { what: 'the route counted on the listener' },
    );
    expect(ourParent('on-other').parentRef.name).toBe('gw-status');
    expect(get(GW, 'httproutes', 'on-other')!.status.parents).toHaveLength(1);
    expect(get(GW, 'gateways', 'other-class')!.status?.addresses ?? []).toEqual(
      [],
    );
    expect(dev.api.tryGet(svcT, ns, 'other-class')).toBeUndefined();
  });

  it('reports Accepted and ResolvedRefs on the route, BackendNotFound / InvalidKind / NoMatchingParent when they fail, without rewriting an unchanged status', async () => {
    gateway('gw-refs');
    route('ok', {
      parentRefs: [{ name: 'gw-refs' }],
      rules: [
        {
          backendRefs: [
            poolRef('pool-stable', 90),
            { name: 'svc-stable', port: 8000, weight: 10 },
          ],
        },
      ],
    });
    gateway('gw-missing');
    route('missing', {
      parentRefs: [{ name: 'gw-missing' }],
      rules: [{ backendRefs: [poolRef('no-such-pool')] }],
    });
    route('badkind', {
      parentRefs: [{ name: 'gw-refs' }],
      rules: [{ backendRefs: [{ group: '', kind: 'ConfigMap', name: 'x' }] }],
    });
    route('nosection', {
      parentRefs: [{ name: 'gw-refs', sectionName: 'https' }],
      rules: [{ backendRefs: [poolRef('pool-stable')] }],
    });
    const ok = await waitFor(() => ourParent('ok'), { what: 'status of ok' });
    expect(ok.parentRef).toEqual({
      group: GW,
      kind: 'Gateway',
      name: 'gw-refs',
    });
    expect(cond(ok, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(cond(ok, 'Accepted').lastTransitionTime).toMatch(/Z$/);
    expect(cond(ok, 'ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
    const missing = await waitFor(() => ourParent('missing'));
    expect(cond(missing, 'Accepted').status).toBe('True');
    expect(cond(missing, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
    expect(
      cond(await waitFor(() => ourParent('badkind')), 'ResolvedRefs'),
    ).toMatchObject({ status: 'False', reason: 'InvalidKind' });
    expect(
      cond(await waitFor(() => ourParent('nosection')), 'Accepted'),
    ).toMatchObject({ status: 'False', reason: 'NoMatchingParent' });
    // the share of traffic for a missing backend answers 500, as the spec says
    await waitFor(() => get('', 'services', 'gw-missing'));
    expect(await send('gw-missing')).toMatchObject({
      status: 500,
      backend: 'InferencePool/no-such-pool',
    });

    // creating the missing pool resolves the route on the next pass
    create(POOL, 'inferencepools', pool('no-such-pool', 'stable'));
    await waitFor(
      () => cond(ourParent('missing'), 'ResolvedRefs')?.status === 'True',
      { what: 'ResolvedRefs True once the pool exists' },
    );
    expect(await send('gw-missing')).toMatchObject({
      status: 200,
      backend: 'InferencePool/no-such-pool',
    });
    // settled statuses are not written again (no write loop)
    await dev.simulation!.settle();
    const rv = get(GW, 'httproutes', 'ok')!.metadata.resourceVersion;
    const gwRv = get(GW, 'gateways', 'gw-refs')!.metadata.resourceVersion;
    await dev.simulation!.settle();
    await dev.simulation!.settle();
    expect(get(GW, 'httproutes', 'ok')!.metadata.resourceVersion).toBe(rv);
    expect(get(GW, 'gateways', 'gw-refs')!.metadata.resourceVersion).toBe(gwRv);
  });

  it('splits 400 requests 90/10 by weight within ±6 %, with the EPP and backend headers', async () => {
    gateway('gw-weights');
    route('split', {
      parentRefs: [{ name: 'gw-weights' }],
      rules: [
        {
          backendRefs: [poolRef('pool-stable', 90), poolRef('pool-canary', 10)],
        },
      ],
    });
    await waitFor(() => ourParent('split'));
    const one = await send('gw-weights');
    expect(one.status).toBe(200);
    const pod = podOf(
      one.backend === 'InferencePool/pool-stable' ? 'stable' : 'canary',
    );
    expect(one.endpoint).toBe(`${pod.status.podIP}:8000`);
    const counts = await sendMany('gw-weights', 400);
    expect(
      counts['InferencePool/pool-stable'] + counts['InferencePool/pool-canary'],
    ).toBe(400);
    // canary ~ Binomial(400, 0.1): sd = √(400·0.1·0.9) = 6 requests, ±6 % = ±24 requests = 4 sd, so this fails by
    // chance about 6 times in 100,000 runs
    expect(
      Math.abs(counts['InferencePool/pool-canary'] / 400 - 0.1),
    ).toBeLessThanOrEqual(0.06);
  });

  it('never chooses a weight-0 backend, applies a weight change on the next request, and answers 500 when all weigh 0', async () => {
    gateway('gw-zero');
    const r = route('zero', {
      parentRefs: [{ name: 'gw-zero' }],
      rules: [
        {
          backendRefs: [poolRef('pool-stable', 1), poolRef('pool-canary', 0)],
        },
      ],
    });
    await waitFor(() => ourParent('zero'));
    expect(await sendMany('gw-zero', 60)).toEqual({
      'InferencePool/pool-stable': 60,
    });
    const routeT = T(GW, 'httproutes');
    const setWeights = (a: number, b: number) => {
      const cur = dev.api.get(routeT, ns, 'zero');
      dev.api.update(
        routeT,
        ns,
        'zero',
        {
          ...cur,
          spec: {
            ...r.spec,
            rules: [
              {
                backendRefs: [
                  poolRef('pool-stable', a),
                  poolRef('pool-canary', b),
                ],
              },
            ],
          },
        },
        { fieldManager: 'test' },
      );
    };
    setWeights(0, 100);
    expect((await send('gw-zero')).backend).toBe('InferencePool/pool-canary');
    expect(await sendMany('gw-zero', 40)).toEqual({
      'InferencePool/pool-canary': 40,
    });
    setWeights(0, 0);
    expect((await send('gw-zero')).status).toBe(500);
  });

  it('matches routes by Host header against hostnames and by the longest path prefix; 404 when nothing matches', async () => {
    gateway('gw-match');
    route('by-host', {
      parentRefs: [{ name: 'gw-match' }],
      hostnames: ['canary.example.com'],
      rules: [{ backendRefs: [poolRef('pool-canary')] }],
    });
    route('by-wildcard', {
      parentRefs: [{ name: 'gw-match' }],
      hostnames: ['*.example.com'],
      rules: [{ backendRefs: [{ name: 'svc-stable', port: 8000 }] }],
    });
    route('by-path', {
      parentRefs: [{ name: 'gw-match' }],
      rules: [
        { backendRefs: [poolRef('pool-stable')] },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/v1/models' } }],
          backendRefs: [poolRef('pool-canary')],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/metrics' } }],
          backendRefs: [poolRef('pool-empty')],
        },
      ],
    });
    await waitFor(() =>
      ['by-host', 'by-wildcard', 'by-path'].every(n => ourParent(n)),
    );
    const host = (h: string, p = '/v1/completions') => send('gw-match', p, h);
    expect((await host('canary.example.com')).backend).toBe(
      'InferencePool/pool-canary',
    );
    expect((await host('Canary.Example.com:8080')).backend).toBe(
      'InferencePool/pool-canary',
    );
    expect((await host('other.example.com')).backend).toBe(
      'Service/svc-stable',
    );
    // a host no hostname matches falls to the route without hostnames; its longest prefix wins
    expect((await host('example.org')).backend).toBe(
      'InferencePool/pool-stable',
    );
    const models = await host('example.org', '/v1/models');
    expect(models).toMatchObject({
      status: 200,
      backend: 'InferencePool/pool-canary',
    });
    // prefixes match whole path elements: /v1/modelsX is not under /v1/models
    expect((await host('example.org', '/v1/modelsX')).backend).toBe(
      'InferencePool/pool-stable',
    );
    // a pool without Ready endpoints: 503
    expect(await host('example.org', '/metrics')).toMatchObject({
      status: 503,
      backend: 'InferencePool/pool-empty',
    });
    // with only hostname routes, an unmatched host gets 404
    gateway('gw-hosts-only');
    route('host-only', {
      parentRefs: [{ name: 'gw-hosts-only' }],
      hostnames: ['a.example.com'],
      rules: [{ backendRefs: [poolRef('pool-stable')] }],
    });
    await waitFor(() => ourParent('host-only'));
    await waitFor(() => get('', 'services', 'gw-hosts-only'));
    expect(
      (await send('gw-hosts-only', '/v1/completions', 'b.example.com')).status,
    ).toBe(404);
    expect(
      (await send('gw-hosts-only', '/v1/completions', 'a.example.com')).status,
    ).toBe(200);
  });

  it('with the single-InferencePool annotation: Accepted False UnsupportedValue and all traffic to the first backendRef', async () => {
    gateway('gw-single', { [DEV_GATEWAY.singlePoolAnnotation]: 'true' });
    route('two-pools', {
      parentRefs: [{ name: 'gw-single' }],
      rules: [
        {
          backendRefs: [poolRef('pool-stable', 5), poolRef('pool-canary', 95)],
        },
      ],
    });
    route('one-pool', {
      parentRefs: [{ name: 'gw-single' }],
      hostnames: ['one.example.com'],
      rules: [{ backendRefs: [poolRef('pool-canary')] }],
    });
    const p = await waitFor(() => ourParent('two-pools'));
    expect(cond(p, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
    });
    expect(cond(p, 'Accepted').message).toMatch(
      /a rule may reference only one InferencePool/,
    );
    expect(
      cond(await waitFor(() => ourParent('one-pool')), 'Accepted').status,
    ).toBe('True');
    expect(await sendMany('gw-single', 40)).toEqual({
      'InferencePool/pool-stable': 40,
    });
  });

  (kubectl ? describe : describe.skip)('with kubectl', () => {
    it('works with kubectl as typed: get gateway, get httproute -o yaml, get --raw through the Service proxy', async () => {
      create(GW, 'gateways', demoGateway(ns));
      route('demo', {
        parentRefs: [{ name: 'inference-gateway' }],
        rules: [{ backendRefs: [poolRef('pool-stable')] }],
      });
      await waitFor(
        () => get(GW, 'gateways', 'inference-gateway')?.status?.addresses?.[0],
      );
      await waitFor(() => ourParent('demo'));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-kubectl-'));
      const kubeconfig = path.join(dir, 'kubeconfig');
      dev.writeKubeconfig(kubeconfig);
      const run = async (...args: string[]) =>
        (
          await promisify(execFile)(
            'kubectl',
            ['--kubeconfig', kubeconfig, ...args],
            {
              encoding: 'utf8',
            },
          )
        ).stdout;
      const table = await run('get', 'gateway', 'inference-gateway');
      expect(table.split('\n')[0]).toMatch(
        /NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED/,
      );
      const svc = get('', 'services', 'inference-gateway')!;
      expect(table).toMatch(
        new RegExp(
          `inference-gateway\\s+fusioninfer-dev\\s+${svc.spec.clusterIP.replace(/\./g, '\\.')}\\s+True`,
        ),
      );
      const yaml = parse(await run('get', 'httproute', 'demo', '-o', 'yaml'));
      expect(yaml.status.parents[0]).toMatchObject({
        controllerName: DEV_GATEWAY.controllerName,
        parentRef: { name: 'inference-gateway' },
      });
      const models = JSON.parse(
        await run(
          'get',
          '--raw',
          `/api/v1/namespaces/${ns}/services/inference-gateway:80/proxy/v1/models`,
        ),
      );
      expect(models.data[0].id).toBe('Qwen/Qwen3-8B');
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
