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
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { loadExample, waitFor } from '@fusioninfer/test-utils';
import { KObject } from '../api';
import { DevCluster, startDevCluster } from '../cluster';
import { DEV_GATEWAY, demoGateway, servePd } from './gateway';
import { ProxyRequest } from '../http';

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
      simulation: {
        podStartupDelayMs: 40,
        engine: { timeScale: 200 },
        // prefillers that stay loading for the whole test (decode-only fallback)
        behaviours: { '*:*-cold': { startupDelayMs: 600_000 } },
      },
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
    await waitFor(() => get('', 'services', 'gw-weights'));
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
    await waitFor(() => get('', 'services', 'gw-zero'));
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
    await waitFor(() => get('', 'services', 'gw-match'));
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
    // The Gateway's Service (what the requests go through) may come after the routes' status on a loaded machine.
    await waitFor(() => get('', 'services', 'gw-single'));
    expect(await sendMany('gw-single', 40)).toEqual({
      'InferencePool/pool-stable': 40,
    });
  });

  describe('a prefill/decode pool, as llm-d disaggregates it', () => {
    const PREFILL_IMAGE = 'vllm/vllm-openai:v0.27.1';
    const DECODE_IMAGE = 'vllm/vllm-openai:v0.27.2';
    const plurals: Record<string, string> = {
      PodGroup: 'podgroups',
      LeaderWorkerSet: 'leaderworkersets',
      InferencePool: 'inferencepools',
      HTTPRoute: 'httproutes',
    };
    /**
     * The upstream P/D example (a pd-disaggregation router, 2 prefillers, 2 decoders) rendered as `name`, its route
     * on Gateway `gw`; the model-server children only (no EPP: the gateway does the picking).
     */
    const pdService = (
      name: string,
      gw: string,
      prefillImage: string,
      /** `fusioninfer.io/revision` of each replica's pods, by component type and replica index (none: unlabelled). */
      revisions: Record<string, string> = {},
    ) => {
      const isvc = loadExample('router-pd-disaggregation-2-decode', {
        name,
        namespace: ns,
      });
      for (const role of isvc.spec.roles) {
        if (role.componentType === 'router')
          role.httproute = { parentRefs: [{ name: gw }] };
        if (role.componentType === 'prefiller')
          role.template.spec.containers[0].image = prefillImage;
        if (role.componentType === 'decoder')
          role.template.spec.containers[0].image = DECODE_IMAGE;
      }
      gateway(gw);
      for (const child of renderInferenceService(isvc, { namespace: ns })
        .children as any[]) {
        if (!plurals[child.kind]) continue;
        const labels = child.metadata.labels ?? {};
        const revision =
          revisions[
            `${labels['fusioninfer.io/component-type']}-${labels['fusioninfer.io/replica-index']}`
          ];
        if (revision)
          child.spec.leaderWorkerTemplate.workerTemplate.metadata.labels[
            'fusioninfer.io/revision'
          ] = revision;
        const [group, version] = child.apiVersion.split('/');
        dev.api.create(
          dev.api.findType(group, version, plurals[child.kind])!,
          ns,
          child,
          { fieldManager: 'test' },
        );
      }
    };
    const podsOf = (service: string, type: string) =>
      dev.api
        .scan(dev.api.findType('', 'v1', 'pods')!, ns)
        .filter(
          p =>
            p.metadata.labels?.['fusioninfer.io/service'] === service &&
            p.metadata.labels?.['fusioninfer.io/component-type'] === type,
        );
    const ready = (p: KObject) =>
      p.status?.conditions?.some(
        (c: any) => c.type === 'Ready' && c.status === 'True',
      );
    /** A completion through the Gateway, with every P/D header of the answer. */
    const complete = async (gw: string, p = '/v1/completions') => {
      const r = await fetch(
        `${dev.url}/api/v1/namespaces/${ns}/services/${gw}:80/proxy${p}`,
        {
          method: p === '/v1/models' ? 'GET' : 'POST',
          headers: { 'content-type': 'application/json' },
          ...(p === '/v1/models'
            ? {}
            : {
                body: JSON.stringify(
                  p === '/v1/chat/completions'
                    ? {
                        messages: [{ role: 'user', content: 'hi there' }],
                        max_tokens: 8,
                      }
                    : { prompt: 'tell me about prefill', max_tokens: 8 },
                ),
              }),
        },
      );
      await r.arrayBuffer();
      const h = (name: string) => r.headers.get(name) ?? undefined;
      return {
        status: r.status,
        endpoint: h(DEV_GATEWAY.destinationHeader),
        backend: h(DEV_GATEWAY.backendHeader),
        prefiller: h(DEV_GATEWAY.prefillerHeader),
        decoder: h(DEV_GATEWAY.decoderHeader),
        pair: h(DEV_GATEWAY.pairHeader),
      };
    };
    /** A counter of a pod's simulated vLLM, as its /metrics exposes it. */
    const metric = (pod: KObject, name: string) => {
      const engine = dev.simulation!.engineFor(ns, pod.metadata.name);
      if (!engine) return 0;
      const line = engine
        .metrics()
        .split('\n')
        .find(l => l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const sum = (pods: KObject[], name: string) =>
      pods.reduce((n, p) => n + metric(p, name), 0);

    it('sends each request to a decoder, prefilled on a prefiller first; both engines serve it; the pair header names the images', async () => {
      pdService('pd', 'gw-pd', PREFILL_IMAGE);
      await waitFor(
        () =>
          podsOf('pd', 'prefiller').filter(ready).length === 2 &&
          podsOf('pd', 'decoder').filter(ready).length === 2,
        { timeoutMs: 20_000, what: '2 prefillers and 2 decoders Ready' },
      );
      await waitFor(() => get('', 'services', 'gw-pd'));
      await waitFor(() => ourParent('pd-httproute'), {
        what: 'the P/D route attached',
      });
      const prefillers = podsOf('pd', 'prefiller');
      const decoders = podsOf('pd', 'decoder');
      const names = (pods: KObject[]) => pods.map(p => p.metadata.name);

      const one = await complete('gw-pd');
      expect(one).toMatchObject({
        status: 200,
        backend: 'InferencePool/pd-pool',
        pair: `${PREFILL_IMAGE}->${DECODE_IMAGE}`,
      });
      expect(names(prefillers)).toContain(one.prefiller);
      expect(names(decoders)).toContain(one.decoder);
      const decoder = decoders.find(p => p.metadata.name === one.decoder)!;
      const prefiller = prefillers.find(
        p => p.metadata.name === one.prefiller,
      )!;
      expect(one.endpoint).toBe(`${decoder.status.podIP}:8000`);
      // the prefiller ran the prompt as a one-token completion, the decoder served the request
      expect(metric(prefiller, 'vllm:prompt_tokens_total')).toBeGreaterThan(0);
      expect(metric(prefiller, 'vllm:generation_tokens_total')).toBe(1);
      expect(metric(prefiller, 'vllm:time_to_first_token_seconds_count')).toBe(
        1,
      );
      expect(metric(decoder, 'vllm:prompt_tokens_total')).toBeGreaterThan(0);
      expect(metric(decoder, 'vllm:time_to_first_token_seconds_count')).toBe(1);

      // 40 more, 20 at a time: every one on a decoder, and each ran on one prefiller and one decoder
      const answers = [];
      for (let i = 0; i < 2; i++)
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 20 }, () => complete('gw-pd')),
          )),
        );
      const ips = new Map(decoders.map(p => [p.metadata.name, p.status.podIP]));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(names(prefillers)).toContain(a.prefiller);
        expect(a.endpoint).toBe(`${ips.get(a.decoder!)}:8000`);
        expect(a.pair).toBe(`${PREFILL_IMAGE}->${DECODE_IMAGE}`);
      }
      const success = (pods: KObject[]) =>
        pods.reduce(
          (n, p) =>
            n +
            (dev.simulation!.engineFor(ns, p.metadata.name)?.state.requests ??
              0),
          0,
        );
      expect(success(prefillers)).toBe(41);
      expect(success(decoders)).toBe(41);
      expect(sum(prefillers, 'vllm:generation_tokens_total')).toBe(41);
      // least loaded with 20 in flight: the load spreads over both of each kind
      expect(new Set(answers.map(a => a.decoder)).size).toBe(2);
      expect(new Set(answers.map(a => a.prefiller)).size).toBe(2);

      // chat completions are prefilled too; /v1/models is the decoder's alone (the sidecar prefills completions only)
      const chat = await complete('gw-pd', '/v1/chat/completions');
      expect(chat.status).toBe(200);
      expect(names(prefillers)).toContain(chat.prefiller);
      expect(success(prefillers)).toBe(42);
      const models = await complete('gw-pd', '/v1/models');
      expect(models).toMatchObject({
        status: 200,
        prefiller: 'none',
        pair: `none->${DECODE_IMAGE}`,
      });
      expect(names(decoders)).toContain(models.decoder);
      expect(success(prefillers)).toBe(42);
    });

    it('pairs a decoder labelled with a revision only with prefillers of that revision, else serves it decode-only', async () => {
      // decoder 0 has a peer of its revision (prefiller 0), decoder 1 none: as while a rollout moves the decoders first
      pdService('pdrev', 'gw-pd-rev', PREFILL_IMAGE, {
        'prefiller-0': 'r1',
        'prefiller-1': 'r2',
        'decoder-0': 'r1',
        'decoder-1': 'r3',
      });
      await waitFor(
        () =>
          podsOf('pdrev', 'prefiller').filter(ready).length === 2 &&
          podsOf('pdrev', 'decoder').filter(ready).length === 2,
        { timeoutMs: 20_000, what: '2 prefillers and 2 decoders Ready' },
      );
      await waitFor(() => get('', 'services', 'gw-pd-rev'));
      await waitFor(() => ourParent('pdrev-httproute'));
      const revisionOf = new Map(
        [...podsOf('pdrev', 'prefiller'), ...podsOf('pdrev', 'decoder')].map(
          p => [
            p.metadata.name,
            p.metadata.labels?.['fusioninfer.io/revision'],
          ],
        ),
      );
      const answers = [];
      for (let round = 0; round < 3; round++)
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 10 }, () => complete('gw-pd-rev')),
          )),
        );
      // r1 decoder: an r1 prefiller; r3 decoder: none (no r3 prefiller)
      const served = answers.map(a => [
        a.status,
        revisionOf.get(a.decoder!),
        a.prefiller === 'none' ? 'none' : revisionOf.get(a.prefiller!),
      ]);
      expect(
        served.filter(
          ([status, d, p]) =>
            !(
              status === 200 &&
              ((d === 'r1' && p === 'r1') || (d === 'r3' && p === 'none'))
            ),
        ),
      ).toEqual([]);
      // both decoders served: the choice of decoder is by load, the revision only narrows its peers
      expect(new Set(answers.map(a => revisionOf.get(a.decoder!)))).toEqual(
        new Set(['r1', 'r3']),
      );
    });

    it('serves decode-only, prefiller none, while no prefiller is Ready', async () => {
      pdService('pdcold', 'gw-pd-cold', `${PREFILL_IMAGE}-cold`);
      await waitFor(
        () =>
          podsOf('pdcold', 'decoder').filter(ready).length === 2 &&
          podsOf('pdcold', 'prefiller').length === 2,
        { timeoutMs: 20_000, what: 'the decoders Ready, the prefillers up' },
      );
      await waitFor(() => get('', 'services', 'gw-pd-cold'));
      await waitFor(() => ourParent('pdcold-httproute'));
      const prefillers = podsOf('pdcold', 'prefiller');
      expect(prefillers.filter(ready)).toEqual([]);
      const decoders = podsOf('pdcold', 'decoder');
      for (let i = 0; i < 6; i++) {
        const a = await complete('gw-pd-cold');
        expect(a).toMatchObject({
          status: 200,
          backend: 'InferencePool/pdcold-pool',
          prefiller: 'none',
          pair: `none->${DECODE_IMAGE}`,
        });
        const decoder = decoders.find(p => p.metadata.name === a.decoder)!;
        expect(a.endpoint).toBe(`${decoder.status.podIP}:8000`);
      }
      expect(sum(decoders, 'vllm:time_to_first_token_seconds_count')).toBe(6);
      expect(sum(prefillers, 'vllm:time_to_first_token_seconds_count')).toBe(0);
    });

    it('routes a pool of one kind only, and pools without P/D labels, as before: no P/D headers', async () => {
      await waitFor(() => podsOf('pd', 'decoder').filter(ready).length === 2, {
        what: 'the P/D decoders',
      });
      create(POOL, 'inferencepools', {
        ...pool('decoders-only', 'unused'),
        spec: {
          ...pool('decoders-only', 'unused').spec,
          selector: {
            matchLabels: {
              'fusioninfer.io/service': 'pd',
              'fusioninfer.io/component-type': 'decoder',
            },
          },
        },
      });
      gateway('gw-one-kind');
      route('one-kind', {
        parentRefs: [{ name: 'gw-one-kind' }],
        rules: [{ backendRefs: [poolRef('decoders-only')] }],
      });
      route('no-pd', {
        parentRefs: [{ name: 'gw-one-kind' }],
        hostnames: ['stable.example.com'],
        rules: [{ backendRefs: [poolRef('pool-stable')] }],
      });
      await waitFor(() => ourParent('one-kind') && ourParent('no-pd'));
      await waitFor(() => get('', 'services', 'gw-one-kind'));
      const decoderIps = podsOf('pd', 'decoder').map(
        p => `${p.status.podIP}:8000`,
      );
      const prefilled = sum(
        podsOf('pd', 'prefiller'),
        'vllm:time_to_first_token_seconds_count',
      );
      for (let i = 0; i < 4; i++) {
        const a = await complete('gw-one-kind');
        expect(a).toMatchObject({
          status: 200,
          backend: 'InferencePool/decoders-only',
          prefiller: undefined,
          decoder: undefined,
          pair: undefined,
        });
        expect(decoderIps).toContain(a.endpoint);
      }
      // nothing was prefilled for them
      expect(
        sum(
          podsOf('pd', 'prefiller'),
          'vllm:time_to_first_token_seconds_count',
        ),
      ).toBe(prefilled);
      const plain = await send(
        'gw-one-kind',
        '/v1/completions',
        'stable.example.com',
      );
      expect(plain).toMatchObject({
        status: 200,
        backend: 'InferencePool/pool-stable',
        endpoint: `${podOf('stable').status.podIP}:8000`,
      });
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

describe("the P/D hand-off of a request, as the decoder pod's routing sidecar does it", () => {
  const pod = (name: string, ip: string, image: string) =>
    ({
      metadata: { name, uid: name },
      spec: { containers: [{ name: 'vllm', image }] },
      status: { podIP: ip },
    }) as unknown as KObject;
  const prefiller = pod('p-0', '10.0.0.1', 'vllm/vllm-openai:v1');
  const decoder = pod('d-0', '10.0.0.2', 'vllm/vllm-openai:v2');
  /** Handlers that record what each pod received; the prefiller answers `prefillStatus`. */
  const pods = (prefillStatus = 200) => {
    const got: Record<string, ProxyRequest[]> = { 'p-0': [], 'd-0': [] };
    const resolve = (p: KObject, port: number) =>
      port === 8000
        ? async (req: ProxyRequest) => {
            got[p.metadata.name].push(req);
            return {
              status: p === prefiller ? prefillStatus : 200,
              body: p === prefiller ? 'prefilled' : 'decoded',
            };
          }
        : undefined;
    return { got, resolve };
  };
  const request = (body: unknown, to = '/v1/chat/completions') => ({
    method: 'POST',
    path: to,
    headers: { 'content-type': 'application/json', 'content-length': '99' },
    body: Buffer.from(JSON.stringify(body)),
  });

  it('prefills a one-token, unstreamed copy on the prefiller, then gives the decoder the request with x-prefiller-host-port', async () => {
    const { got, resolve } = pods();
    const body = {
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    };
    const out = await servePd(
      { decoder, prefiller, port: 8000 },
      request(body),
      resolve,
    );
    expect(out.body).toBe('decoded');
    expect(out.headers).toEqual({
      [DEV_GATEWAY.destinationHeader]: '10.0.0.2:8000',
      [DEV_GATEWAY.prefillerHeader]: 'p-0',
      [DEV_GATEWAY.decoderHeader]: 'd-0',
      [DEV_GATEWAY.pairHeader]: 'vllm/vllm-openai:v1->vllm/vllm-openai:v2',
    });
    expect(got['p-0']).toHaveLength(1);
    expect(JSON.parse(got['p-0'][0].body.toString())).toEqual({
      messages: body.messages,
      max_tokens: 1,
      max_completion_tokens: 1,
      stream: false,
    });
    expect(got['p-0'][0].headers['content-length']).toBeUndefined();
    expect(got['d-0']).toHaveLength(1);
    // the decoder gets the request as the client sent it, plus the prefiller's address
    expect(JSON.parse(got['d-0'][0].body.toString())).toEqual(body);
    expect(got['d-0'][0].headers[DEV_GATEWAY.prefillerHostPortHeader]).toBe(
      '10.0.0.1:8000',
    );
  });

  it('answers with a failed prefill, naming the pair, and never reaches the decoder', async () => {
    const { got, resolve } = pods(500);
    const out = await servePd(
      { decoder, prefiller, port: 8000 },
      request({ prompt: 'x', max_tokens: 4 }, '/v1/completions'),
      resolve,
    );
    expect(out.status).toBe(500);
    expect(out.body).toBe('prefilled');
    expect(out.headers?.[DEV_GATEWAY.prefillerHeader]).toBe('p-0');
    expect(got['d-0']).toHaveLength(0);
  });

  it('serves decode-only without a prefiller, and passes requests other than completions to the decoder alone', async () => {
    for (const [pick, req] of [
      [{ decoder, port: 8000 }, request({ prompt: 'x' }, '/v1/completions')],
      [
        { decoder, prefiller, port: 8000 },
        {
          method: 'GET',
          path: '/v1/models',
          headers: {},
          body: Buffer.alloc(0),
        },
      ],
      [
        { decoder, prefiller, port: 8000 },
        { ...request({}), body: Buffer.from('not json') },
      ],
    ] as const) {
      const { got, resolve } = pods();
      const out = await servePd(pick, req, resolve);
      expect(out.headers).toMatchObject({
        [DEV_GATEWAY.prefillerHeader]: 'none',
        [DEV_GATEWAY.pairHeader]: 'none->vllm/vllm-openai:v2',
      });
      expect(got['p-0']).toHaveLength(0);
      expect(got['d-0']).toHaveLength(1);
      expect(
        got['d-0'][0].headers[DEV_GATEWAY.prefillerHostPortHeader],
      ).toBeUndefined();
    }
  });
});
