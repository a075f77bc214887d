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
 * Model-server behaviours: the table and the tag suffixes, then each behaviour as a user and the plugin see it
 * through the API (pod status, events, logs, /metrics of the model server and of the EPP, the load generator), and
 * one crash loop through the real kubectl.
 */

import { execFile, execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import {
  parsePrometheusText,
  readEppMetrics,
  readModelServerMetrics,
  renderInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { loadExample, waitFor } from '@fusioninfer/test-utils';
import { DevCluster, startDevCluster } from '../cluster';
import { main as cli } from '../cli';
import { runLoad } from '../loadgen';
import {
  behaviourOf,
  parseBehaviourFlag,
  patternMatches,
  validateBehaviours,
} from './behaviours';
import { crashPhase } from './kubelet';

jest.setTimeout(60_000);

describe('the behaviour table', () => {
  it('matches patterns against the repository, or the whole reference when they name a tag', () => {
    expect(patternMatches('vllm/vllm-openai', 'vllm/vllm-openai:v0.27.1')).toBe(
      true,
    );
    expect(
      patternMatches('vllm/vllm-openai', 'docker.io/vllm/vllm-openai:v1'),
    ).toBe(true);
    expect(patternMatches('vllm/vllm-openai', 'vllm/vllm-openai-rocm:v1')).toBe(
      false,
    );
    expect(patternMatches('vllm/*:v0.99*', 'vllm/vllm-openai:v0.99.1')).toBe(
      true,
    );
    expect(patternMatches('vllm/*:v0.99*', 'vllm/vllm-openai:v0.98')).toBe(
      false,
    );
    // a registry port is not a tag
    expect(
      patternMatches('localhost:5000/vllm', 'localhost:5000/vllm:canary'),
    ).toBe(true);
    expect(patternMatches('*-canary', 'localhost:5000/vllm:v2-canary')).toBe(
      false,
    );
    expect(patternMatches('*:*-canary', 'localhost:5000/vllm:v2-canary')).toBe(
      true,
    );
  });

  it('reads the conventional tag suffixes, combined, and lets the most specific configured pattern override them', () => {
    expect(behaviourOf('vllm/vllm-openai:v0.27.1', {}, 100)).toBeUndefined();
    expect(behaviourOf('vllm/vllm-openai:v0.27.1-slowstart', {}, 100)).toEqual({
      startupDelayMs: 1000,
    });
    expect(behaviourOf('vllm/vllm-openai:v0.27.1-crash', {}, 100)).toEqual({
      failStart: 'crash',
    });
    expect(behaviourOf('vllm/vllm-openai:latest-oom', {}, 100)).toEqual({
      failStart: 'oom',
    });
    expect(behaviourOf('vllm/vllm-openai:v1-slow-errors', {}, 100)).toEqual({
      ttftMultiplier: 2,
      latencyMultiplier: 2,
      errorRate: 0.2,
    });
    // a tag that is only a word, or an unknown suffix, is no convention
    expect(behaviourOf('vllm/vllm-openai:crash', {}, 100)).toBeUndefined();
    expect(behaviourOf('vllm/vllm-openai:v0.8.5-cu124', {}, 100)).toBe(
      undefined,
    );
    const table = validateBehaviours({
      'vllm/vllm-openai': { errorRate: 0.01 },
      'vllm/vllm-openai:*': { errorRate: 0.05 },
      'vllm/vllm-openai:v2-slow': { ttftMultiplier: 3 },
    });
    expect(behaviourOf('vllm/vllm-openai:v1', table, 100)).toEqual({
      errorRate: 0.05,
    });
    expect(behaviourOf('vllm/vllm-openai:v2-slow', table, 100)).toEqual({
      ttftMultiplier: 3,
      latencyMultiplier: 2,
    });
  });

  it('refuses values that make no sense, naming the pattern and the field', () => {
    expect(() => validateBehaviours({ x: { errorRate: 1.5 } })).toThrow(
      'behaviour "x": errorRate must be between 0 and 1',
    );
    expect(() => validateBehaviours({ x: { failStart: 'explode' } })).toThrow(
      'failStart must be "crash" or "oom"',
    );
    expect(() => validateBehaviours({ x: { startupDelay: 5 } })).toThrow(
      'unknown field "startupDelay"',
    );
    expect(() => validateBehaviours({ x: { ttftMultiplier: 0 } })).toThrow(
      'ttftMultiplier must be greater than 0',
    );
    expect(() => validateBehaviours([])).toThrow('must be an object');
    expect(
      parseBehaviourFlag(
        'vllm/vllm-openai:v0.99-slow=startupDelayMs:20000,ttftMultiplier:2',
      ),
    ).toEqual([
      'vllm/vllm-openai:v0.99-slow',
      { startupDelayMs: 20000, ttftMultiplier: 2 },
    ]);
    expect(parseBehaviourFlag('*-broken=failStart:oom')).toEqual([
      '*-broken',
      { failStart: 'oom' },
    ]);
    expect(() => parseBehaviourFlag('vllm/vllm-openai')).toThrow(
      'expected PATTERN=field:value',
    );
    expect(() => parseBehaviourFlag('x=errorRate:lots')).toThrow(
      'errorRate must be a non-negative number',
    );
  });

  it('the CLI refuses a bad --behaviour and a bad --behaviours file before starting anything', async () => {
    const stderr = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation(() => true);
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'behaviours-')),
      'b.json',
    );
    fs.writeFileSync(file, '{"vllm/*": {"errorRate": 2}}');
    try {
      await cli(['--behaviour', 'x=failStart:melt']);
      expect(process.exitCode).toBe(2);
      expect(stderr).toHaveBeenCalledWith(
        expect.stringContaining('failStart must be "crash" or "oom"'),
      );
      process.exitCode = undefined;
      await cli(['--behaviours', file]);
      expect(process.exitCode).toBe(2);
      expect(stderr).toHaveBeenCalledWith(
        expect.stringContaining(
          'behaviour "vllm/*": errorRate must be between 0 and 1',
        ),
      );
    } finally {
      process.exitCode = undefined;
      stderr.mockRestore();
    }
  });

  it('startDevCluster refuses an invalid table', async () => {
    await expect(
      startDevCluster({
        simulation: { behaviours: { 'vllm/*': { errorRate: -1 } } },
      }),
    ).rejects.toThrow('errorRate must be a non-negative number');
  });

  it("follows the kubelet's crash-loop back-off: a restart at once, then 10 s, 20 s, 40 s ... up to five minutes", () => {
    expect(crashPhase(50, 100)).toMatchObject({ attempt: 0, startedAt: 0 });
    expect(crashPhase(150, 100)).toMatchObject({
      attempt: 0,
      exitedAt: 100,
      waitMs: 100,
    });
    expect(crashPhase(250, 100)).toMatchObject({
      attempt: 1,
      startedAt: 200,
      previous: { startedAt: 0, exitedAt: 100 },
    });
    expect(crashPhase(350, 100)).toMatchObject({
      attempt: 1,
      exitedAt: 300,
      waitMs: 10_000,
    });
    expect(crashPhase(10_350, 100)).toMatchObject({
      attempt: 2,
      startedAt: 10_300,
    });
    expect(crashPhase(10_450, 100)).toMatchObject({
      attempt: 2,
      waitMs: 20_000,
    });
    // a day later: restarts every five minutes
    const late = crashPhase(86_400_000, 100);
    expect(late.waitMs).toBe(300_000);
    expect(late.attempt).toBeGreaterThan(280);
  });
});

describe('model-server behaviours in the simulation', () => {
  let dev: DevCluster;
  const ns = 'default';
  const api = (p: string, init?: RequestInit) => fetch(`${dev.url}${p}`, init);
  const getJson = async (p: string) => {
    const r = await api(p);
    if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const postJson = async (p: string, body: unknown) => {
    const r = await api(p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`POST ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const LWS_PATH = `/apis/leaderworkerset.x-k8s.io/v1/namespaces/${ns}/leaderworkersets`;
  const createLws = (
    name: string,
    image: string,
    template: Record<string, unknown> = {},
  ) =>
    postJson(LWS_PATH, {
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: { name },
      spec: {
        replicas: 1,
        startupPolicy: 'LeaderCreated',
        leaderWorkerTemplate: {
          size: 1,
          ...template,
          workerTemplate: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image,
                  args: ['--model', 'Qwen/Qwen3-8B'],
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      },
    });
  const pod = (name: string) =>
    getJson(`/api/v1/namespaces/${ns}/pods/${name}`);
  const lws = (name: string) => getJson(`${LWS_PATH}/${name}`);
  const isReady = (p: any) =>
    (p.status?.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    );
  const available = (l: any) =>
    (l.status?.conditions ?? []).some(
      (c: any) => c.type === 'Available' && c.status === 'True',
    );
  const events = async (name: string) =>
    (
      await getJson(
        `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`,
      )
    ).items as any[];
  const logs = async (name: string, previous = false) => {
    const r = await api(
      `/api/v1/namespaces/${ns}/pods/${name}/log${previous ? '?previous=true' : ''}`,
    );
    if (!r.ok) throw new Error(`logs of ${name}: ${await r.text()}`);
    return r.text();
  };
  const metricsOf = async (podName: string) =>
    parsePrometheusText(
      await (
        await api(`/api/v1/namespaces/${ns}/pods/${podName}:8000/proxy/metrics`)
      ).text(),
    );
  const sample = (
    exp: ReturnType<typeof parsePrometheusText>,
    name: string,
    labels: Record<string, string>,
  ) =>
    exp.byName
      .get(name)
      ?.find(s => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;

  afterEach(() => dev?.close());

  it('slow start: a -slowstart image is Ready ten start-up delays after it starts, a configured startupDelayMs after its own delay', async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: {
        podStartupDelayMs: 100,
        behaviours: { 'registry.example/vllm:v2': { startupDelayMs: 600 } },
      },
    });
    const created = Date.now();
    await createLws('plain', 'vllm/vllm-openai:v0.27.1');
    await createLws('slow', 'vllm/vllm-openai:v0.27.1-slowstart');
    await createLws('configured', 'registry.example/vllm:v2');
    await waitFor(async () => isReady(await pod('plain-0')), {
      what: 'the plain pod to be Ready',
    });
    const [slowNow, configuredNow] = [
      await pod('slow-0'),
      await pod('configured-0'),
    ];
    expect(slowNow.status.phase).toBe('Running');
    expect(isReady(slowNow)).toBe(false);
    expect(isReady(configuredNow)).toBe(false);
    expect(slowNow.status.containerStatuses[0]).toMatchObject({
      ready: false,
      started: true,
      restartCount: 0,
    });
    expect(available(await lws('slow'))).toBe(false);
    await waitFor(async () => isReady(await pod('configured-0')), {
      what: 'the configured pod to be Ready',
    });
    expect(Date.now() - created).toBeGreaterThanOrEqual(600);
    await waitFor(async () => available(await lws('slow')), {
      what: 'the slow-starting LWS to be Available',
    });
    expect(Date.now() - created).toBeGreaterThanOrEqual(1000);
  });

  it("crash (LWS restartPolicy None): CrashLoopBackOff with restartCount and lastState Error, vLLM's error in the logs, a BackOff event, the LWS not Ready", async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 50 },
    });
    await createLws('broken', 'vllm/vllm-openai:v0.27.1-crash', {
      restartPolicy: 'None',
    });
    const looping = await waitFor(
      async () => {
        const p = await pod('broken-0');
        return (
          p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
            'CrashLoopBackOff' && p
        );
      },
      { what: 'CrashLoopBackOff' },
    );
    const cs = looping.status.containerStatuses[0];
    expect(looping.status.phase).toBe('Running');
    expect(isReady(looping)).toBe(false);
    expect(cs.restartCount).toBe(1);
    expect(cs.ready).toBe(false);
    expect(cs.started).toBe(false);
    expect(cs.state.waiting.message).toBe(
      `back-off 10s restarting failed container=vllm pod=broken-0_default(${looping.metadata.uid})`,
    );
    expect(cs.lastState.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
    expect(cs.lastState.terminated.containerID).toBe(cs.containerID);
    // the exited attempt is both the current log and the previous one, as the kubelet serves them
    const current = await logs('broken-0');
    expect(current.trim().split('\n').pop()).toBe(
      'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
    );
    expect(current).toContain('Starting to load model Qwen/Qwen3-8B...');
    expect(current).toMatch(/ERROR .* \[core\.py:708\] EngineCore failed/);
    expect(await logs('broken-0', true)).toBe(current);
    expect(
      (await events('broken-0')).find(e => e.reason === 'BackOff'),
    ).toMatchObject({
      type: 'Warning',
      message: `Back-off restarting failed container vllm in pod broken-0_default(${looping.metadata.uid})`,
    });
    const l = await lws('broken');
    expect(available(l)).toBe(false);
    expect(l.status.readyReplicas).toBeUndefined();
    // the pod was never recreated: restartPolicy None leaves restarts to the kubelet
    expect((await pod('broken-0')).metadata.uid).toBe(looping.metadata.uid);
  });

  it('oom (LWS default restartPolicy): the container is OOMKilled (137), restarted, and the LWS recreates the group; never Ready', async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      // the container shows terminated for min(1 s, its run time) before the kubelet restarts it
      simulation: { podStartupDelayMs: 400 },
    });
    // every change of the group's pods, as a watcher (the plugin, kubectl get -w) sees it
    const seen: any[] = [];
    const abort = new AbortController();
    const res = await api(
      `/api/v1/namespaces/${ns}/pods?watch=true&labelSelector=leaderworkerset.sigs.k8s.io/name%3Dhungry`,
      { signal: abort.signal },
    );
    const watch = (async () => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) if (line) seen.push(JSON.parse(line));
      }
    })();
    try {
      const l = await createLws('hungry', 'vllm/vllm-openai:v0.27.1-oom');
      expect(l.spec.leaderWorkerTemplate.restartPolicy).toBe(
        'RecreateGroupOnPodRestart',
      );
      const uids = () =>
        new Set(
          seen
            .filter(e => e.object.metadata.name === 'hungry-0')
            .map(e => e.object.metadata.uid),
        );
      await waitFor(() => uids().size >= 2, {
        what: 'the group to be recreated',
      });
      const first = seen.find(e => e.type === 'ADDED').object.metadata.uid;
      const ofFirst = seen
        .filter(e => e.object.metadata.uid === first)
        .map(e => e.object);
      const killed = ofFirst.find(
        p => p.status?.containerStatuses?.[0]?.state?.terminated,
      );
      expect(killed.status.containerStatuses[0]).toMatchObject({
        restartCount: 0,
        ready: false,
        started: false,
        state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
      });
      expect(killed.status.phase).toBe('Running');
      const restarted = ofFirst.find(
        p => p.status?.containerStatuses?.[0]?.restartCount === 1,
      );
      expect(restarted.status.containerStatuses[0]).toMatchObject({
        state: { running: {} },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
      });
      expect(
        seen.find(e => e.type === 'DELETED' && e.object.metadata.uid === first),
      ).toBeTruthy();
      expect(seen.some(e => isReady(e.object))).toBe(false);
      expect(available(await lws('hungry'))).toBe(false);
    } finally {
      abort.abort();
      await watch.catch(() => undefined);
    }
  });

  it('slow: TTFT and end-to-end latency double in /metrics as the plugin reads them, and in what clients wait', async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: {
        podStartupDelayMs: 50,
        // prefill ~200 ms for these prompts: long against timer jitter, short for a test
        engine: { prefillTokensPerSecond: 500 },
      },
    });
    await createLws('fast', 'vllm/vllm-openai:v0.27.1');
    await createLws('sluggish', 'vllm/vllm-openai:v0.27.1-slow');
    for (const name of ['fast-0', 'sluggish-0'])
      await waitFor(async () => isReady(await pod(name)), { what: name });
    const clientMs: Record<string, number> = {};
    for (const name of ['fast-0', 'sluggish-0']) {
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const r = await api(
            `/api/v1/namespaces/${ns}/pods/${name}:8000/proxy/v1/completions`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                // distinct prompts of ~100 tokens: no prefix-cache hits
                prompt: `${i} ${'tell me something new about the cluster '.repeat(10)}`,
                max_tokens: 2,
              }),
            },
          );
          expect(r.status).toBe(200);
        }),
      );
      clientMs[name] = Date.now() - t0;
    }
    const read = async (name: string) =>
      readModelServerMetrics(await metricsOf(name), Date.now());
    const [fast, slow] = [await read('fast-0'), await read('sluggish-0')];
    const mean = (h?: { sum: number; count: number }) => h!.sum / h!.count;
    expect(fast.ttft!.count).toBe(4);
    expect(slow.ttft!.count).toBe(4);
    const ttftRatio = mean(slow.ttft) / mean(fast.ttft);
    const e2eRatio = mean(slow.e2e) / mean(fast.e2e);
    expect(ttftRatio).toBeGreaterThan(1.6);
    expect(ttftRatio).toBeLessThan(2.5);
    expect(e2eRatio).toBeGreaterThan(1.6);
    expect(e2eRatio).toBeLessThan(2.5);
    expect(mean(fast.ttft)).toBeGreaterThan(0.15);
    expect(clientMs['sluggish-0']).toBeGreaterThan(1.5 * clientMs['fast-0']);
  });

  it('errors: a fifth of completions answer 500 — in the loadgen, the access log, vLLM and http counters, and the EPP error counter', async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 50, engine: { timeScale: 100 } },
    });
    const isvc = loadExample('monolithic-router-qwen.yaml');
    isvc.spec.roles[1].template.spec.containers[0].image =
      'vllm/vllm-openai:v0.27.1-errors';
    const kc = new KubeConfig();
    kc.loadFromString(dev.kubeconfig());
    for (const child of renderInferenceService(isvc, {
      namespace: ns,
      eppMetricsAuth: false,
    }).children)
      await kc
        .makeApiClient(KubernetesObjectApi)
        .patch(
          child as any,
          undefined,
          undefined,
          'test',
          true,
          PatchStrategy.ServerSideApply,
        );
    const leader = 'qwen-inference-inference-0-0';
    await waitFor(async () => isReady(await pod(leader)), { what: leader });
    const result = await runLoad({
      kubeConfig: kc,
      namespace: ns,
      service: 'qwen-inference',
      rps: 40,
      durationSeconds: 0.5,
      maxTokens: 4,
    });
    expect(result.sent).toBe(20);
    expect(result.failed).toBe(4);
    expect(result.errorRate).toBe(0.2);
    expect(result.statuses).toEqual({ '200': 16, '500': 4 });
    const exp = await metricsOf(leader);
    expect(
      sample(exp, 'vllm:request_success_total', { finished_reason: 'error' }),
    ).toBe(4);
    expect(
      sample(exp, 'http_requests_total', {
        handler: '/v1/completions',
        status: '5xx',
      }),
    ).toBe(4);
    expect(
      sample(exp, 'http_requests_total', {
        handler: '/v1/completions',
        status: '2xx',
      }),
    ).toBe(16);
    // what the backend's collector reads: every finished request, errors included
    expect(readModelServerMetrics(exp, Date.now()).requestsTotal).toBe(20);
    const log = await logs(leader);
    expect(
      log.match(
        /"POST \/v1\/completions HTTP\/1\.1" 500 Internal Server Error/g,
      ),
    ).toHaveLength(4);
    // the EPP of the service counts the model server's errors as ModelServerError
    const eppPod = await waitFor(async () =>
      (
        await getJson(
          `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dqwen-inference-epp`,
        )
      ).items.find(isReady),
    );
    const epp = readEppMetrics(
      parsePrometheusText(
        await (
          await api(
            `/api/v1/namespaces/${ns}/pods/${eppPod.metadata.name}:9090/proxy/metrics`,
          )
        ).text(),
      ),
      Date.now(),
    );
    expect(epp.requestsTotal).toBe(20);
    expect(epp.errorsTotal).toBe(4);
    expect(epp.errorsByCode).toEqual({ ModelServerError: 4 });
  });

  it('notReadyAfterMs: the pod is Ready, then its readiness probe fails (Unhealthy event); the LWS goes from Available to not', async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: {
        podStartupDelayMs: 50,
        behaviours: { '*:*-flaky': { notReadyAfterMs: 400 } },
      },
    });
    const created = Date.now();
    await createLws('flaky', 'vllm/vllm-openai:v1-flaky');
    await waitFor(async () => available(await lws('flaky')), {
      what: 'the LWS to be Available',
    });
    const gone = await waitFor(
      async () => {
        const p = await pod('flaky-0');
        return !isReady(p) && p;
      },
      { what: 'the pod to stop being Ready' },
    );
    // Ready after the start-up delay (50 ms), not Ready 400 ms later
    expect(Date.now() - created).toBeGreaterThanOrEqual(450);
    expect(gone.status.phase).toBe('Running');
    expect(gone.status.containerStatuses[0]).toMatchObject({
      ready: false,
      started: true,
      restartCount: 0,
      state: { running: {} },
    });
    expect(
      (await events('flaky-0')).find(e => e.reason === 'Unhealthy'),
    ).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(
        /^Readiness probe failed: Get "http:\/\/[\d.]+:8000\/health": context deadline exceeded/,
      ),
    });
    await waitFor(async () => !available(await lws('flaky')), {
      what: 'the LWS to be no longer Available',
    });
    // not Ready: the pod proxy no longer reaches its model server
    expect(
      (await api(`/api/v1/namespaces/${ns}/pods/flaky-0:8000/proxy/health`))
        .status,
    ).toBe(503);
  });
});

const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(kubectl ? describe : describe.skip)(
  'a crash-looping model server through the real kubectl',
  () => {
    it('get pods shows CrashLoopBackOff and the restart; logs --previous ends where the OOM kill stopped vLLM; lastState OOMKilled carries the log tail', async () => {
      const dev = await startDevCluster({
        nodes: [{ name: 'n0', gpus: 8 }],
        simulation: { podStartupDelayMs: 100 },
      });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behaviours-kubectl-'));
      const kubeconfig = path.join(dir, 'kubeconfig');
      dev.writeKubeconfig(kubeconfig);
      // asynchronous: the API server runs in this process and must keep serving while kubectl waits
      const run = async (...args: string[]) =>
        (
          await promisify(execFile)(
            'kubectl',
            ['--kubeconfig', kubeconfig, ...args],
            { encoding: 'utf8' },
          )
        ).stdout;
      try {
        const manifest = path.join(dir, 'lws.json');
        fs.writeFileSync(
          manifest,
          JSON.stringify({
            apiVersion: 'leaderworkerset.x-k8s.io/v1',
            kind: 'LeaderWorkerSet',
            metadata: { name: 'qwen', namespace: 'default' },
            spec: {
              replicas: 1,
              leaderWorkerTemplate: {
                size: 1,
                restartPolicy: 'None',
                workerTemplate: {
                  spec: {
                    containers: [
                      {
                        name: 'vllm',
                        image: 'vllm/vllm-openai:v0.27.1-oom',
                        args: ['--model', 'Qwen/Qwen3-8B'],
                        terminationMessagePolicy: 'FallbackToLogsOnError',
                      },
                    ],
                  },
                },
              },
            },
          }),
        );
        await run('apply', '-f', manifest);
        await waitFor(
          async () =>
            /qwen-0\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d*\s/.test(
              await run('get', 'pods'),
            ),
          {
            timeoutMs: 20_000,
            what: 'kubectl get pods to show CrashLoopBackOff',
          },
        );
        // the attempt that was OOM-killed (during the back-off also the current log; after it, only the previous)
        const last =
          'Loading safetensors checkpoint shards:  50% Completed | 2/4 [00:04<00:04,  2.38s/it]';
        const previous = await run('logs', 'qwen-0', '--previous');
        expect(previous.trim().split('\n').pop()).toBe(last);
        expect(previous).toContain('Starting to load model Qwen/Qwen3-8B...');
        expect(previous).not.toContain('Loading weights took');
        expect(await run('logs', 'qwen-0')).toContain(
          'Starting to load model Qwen/Qwen3-8B...',
        );
        const status = JSON.parse(
          await run(
            'get',
            'pod',
            'qwen-0',
            '-o',
            'jsonpath={.status.containerStatuses[0].lastState.terminated}',
          ),
        );
        expect(status).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
        expect(status.message.split('\n').pop()).toBe(last);
        expect(await run('get', 'lws', 'qwen', '-o', 'json')).not.toContain(
          '"readyReplicas"',
        );
      } finally {
        await dev.close();
      }
    });
  },
);
