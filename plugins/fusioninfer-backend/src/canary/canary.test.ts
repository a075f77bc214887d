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
 * Canaries against the development cluster and its Gateway (issue 19): a new image runs as canary replicas behind
 * their own pool while the stable replicas keep theirs; the HTTPRoute's weights step; a canary that answers slower
 * than its limit pauses at its gate; a rollback sends all traffic back with one route write; a healthy canary walks
 * its steps and, promoted, moves the stable replicas and disappears — all watched through the API and the gateway,
 * as a user would.
 */

import { DevCluster, runLoad } from '@fusioninfer/dev-cluster';
import {
  applyCanaryCommand,
  CANARY_STATUS_ANNOTATION,
  CanaryStatus,
  InferenceService,
  readCanaryStatus,
  serializeCanaryStatus,
  workloadRevision,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { waitFor } from '@fusioninfer/test-utils';
import { KubeConfig } from '@kubernetes/client-node';
import {
  canaryService,
  startCanaryHarness,
} from '../__testUtils__/canaryHarness';

const ns = 'default';
const IMAGE = 'vllm/vllm-openai:v0.27.1';

const service = (name: string, canary: unknown) =>
  canaryService(name, ns, canary, IMAGE);

describe('canaries', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  let harness: Awaited<ReturnType<typeof startCanaryHarness>>;
  let kc: KubeConfig;

  beforeEach(async () => {
    // Metric windows of 2.5 s: at 20 % of 16 requests/s, about 8 canary requests each (minRequests is 5).
    harness = await startCanaryHarness({
      namespace: ns,
      intervalMs: 2500,
      podStartupDelayMs: 60,
    });
    ({ dev, client } = harness);
    kc = new KubeConfig();
    kc.loadFromString(dev.kubeconfig());
  });
  afterEach(async () => {
    await harness?.close();
  });

  const get = () =>
    client.get<InferenceService>(KINDS.InferenceService, ns, 'llm');
  const status = async () => readCanaryStatus(await get());
  const route = () => client.get<any>(KINDS.HTTPRoute, ns, 'llm-httproute');
  const lws = async () =>
    (await client.list<any>(KINDS.LeaderWorkerSet, ns)).filter(
      l => l.metadata.labels?.['fusioninfer.io/service'] === 'llm',
    );
  const images = async () =>
    Object.fromEntries(
      (await lws()).map(l => [
        l.metadata.name,
        l.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].image,
      ]),
    );
  const setImage = async (image: string) => {
    const live = await get();
    const roles = live!.spec.roles.map(r =>
      r.componentType === 'worker'
        ? {
            ...r,
            template: {
              spec: {
                ...r.template!.spec,
                containers: [{ ...r.template!.spec!.containers[0], image }],
              },
            },
          }
        : r,
    );
    await client.mergePatch(KINDS.InferenceService, ns, 'llm', {
      spec: { roles },
    });
  };
  /** What the writer does for a command (the REST route's edit), straight onto the live service. */
  const command = async (action: 'rollback' | 'promote') => {
    const live = (await get())!;
    const r = applyCanaryCommand(
      readCanaryStatus(live),
      workloadRevision(live),
      action,
      'user:default/test',
      Date.now(),
    );
    if ('error' in r) throw new Error(r.error);
    await client.mergePatch(KINDS.InferenceService, ns, 'llm', {
      metadata: {
        resourceVersion: live.metadata.resourceVersion,
        annotations: {
          [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(r.status),
        },
      },
    });
  };
  const runningStable = () =>
    waitFor(
      async () => {
        const pods = (await client.list<any>(KINDS.Pod, ns)).filter(
          p =>
            p.metadata.labels?.['fusioninfer.io/service'] === 'llm' &&
            p.metadata.labels?.['fusioninfer.io/track'] === 'stable' &&
            p.status?.conditions?.some(
              (c: any) => c.type === 'Ready' && c.status === 'True',
            ),
        );
        const r = await route();
        return (
          pods.length === 2 &&
          r?.status?.parents?.[0]?.conditions?.some(
            (c: any) => c.type === 'Accepted' && c.status === 'True',
          ) &&
          // the Gateway's Service, which the load goes through
          !!(await client.get(KINDS.Service, ns, 'inference-gateway'))
        );
      },
      {
        timeoutMs: 20_000,
        what: "two Ready stable replicas, an accepted route and the Gateway's Service",
      },
    );
  const load = (seconds: number) =>
    runLoad({
      kubeConfig: kc,
      namespace: ns,
      gateway: { name: 'inference-gateway', host: 'llm.example.com' },
      rps: 16,
      durationSeconds: seconds,
      maxTokens: 8,
      promptMix: 'random',
    });

  it('a slower canary pauses at its gate within two metric intervals; rollback returns all traffic at once', async () => {
    await client.apply(
      service('llm', {
        steps: [20, 50],
        stepSeconds: 60,
        analysis: { maxTtftP95Ratio: 1.5 },
        onBreach: 'pause',
      }) as any,
    );
    await runningStable();
    await setImage(`${IMAGE}-slow`);
    const progressing = await waitFor(
      async () => {
        const s = await status();
        return s?.phase === 'Progressing' && s;
      },
      { timeoutMs: 20_000, what: 'the canary at its first step' },
    );
    expect(progressing.weight).toBe(20);
    // The stable replicas are held at the old image; the canary replica runs the new one.
    expect(await images()).toEqual({
      'llm-worker-0': IMAGE,
      'llm-worker-1': IMAGE,
      'llm-worker-canary-0': `${IMAGE}-slow`,
    });
    await waitFor(
      async () =>
        JSON.stringify((await route())?.spec.rules[0].backendRefs) ===
        JSON.stringify([
          {
            group: 'inference.networking.k8s.io',
            kind: 'InferencePool',
            name: 'llm-pool',
            weight: 80,
          },
          {
            group: 'inference.networking.k8s.io',
            kind: 'InferencePool',
            name: 'llm-canary-pool',
            weight: 20,
          },
        ]),
      { timeoutMs: 10_000, what: 'the route weighed 80/20' },
    );
    const pools = await client.list<any>(KINDS.InferencePool, ns);
    expect(
      Object.fromEntries(
        pools.map(p => [p.metadata.name, p.spec.selector.matchLabels]),
      ),
    ).toMatchObject({
      'llm-pool': { 'fusioninfer.io/track': 'stable' },
      'llm-canary-pool': { 'fusioninfer.io/track': 'canary' },
    });
    // Load through the Gateway: the canary's TTFT doubles; the gate (1.5× the stable) pauses it.
    const loadStart = Date.now();
    const traffic = load(25);
    const paused = await waitFor(
      async () => {
        const s = await status();
        return s?.phase === 'Paused' && s;
      },
      {
        timeoutMs: 25_000,
        intervalMs: 100,
        what: 'the canary paused by its gate',
      },
    );
    expect(paused.reason).toMatch(/TTFT p95 .* the stable .* > 1\.5×/);
    expect(paused.weight).toBe(20);
    expect(paused.checks.at(-1)!.breaches.length).toBe(1);
    // Within two judged metric windows (windows with fewer than minRequests canary requests are recorded, not
    // judged): the first or the second judged check breached.
    const judged = paused.checks.filter(c => !c.note);
    expect(judged.length).toBeGreaterThanOrEqual(1);
    expect(judged.length).toBeLessThanOrEqual(2);
    // Rollback: one command; the route carries only the stable pool again within 5 s.
    const t0 = Date.now();
    await command('rollback');
    await waitFor(
      async () =>
        (await route())?.spec.rules[0].backendRefs.length === 1 &&
        (await route())?.spec.rules[0].backendRefs[0].name === 'llm-pool',
      {
        timeoutMs: 5000,
        intervalMs: 50,
        what: 'all traffic on the stable pool',
      },
    );
    const rollbackMs = Date.now() - t0;
    expect(rollbackMs).toBeLessThan(5000);
    const result = await traffic;
    // After the rollback (plus a second of requests in flight) no request reached the canary pool.
    const after = Math.ceil((t0 + rollbackMs - loadStart) / 1000) + 1;
    const lateCanary = result
      .byBackend!.filter(b => b.second >= after)
      .reduce(
        (a, b) => a + (b.counts['InferencePool/llm-canary-pool'] ?? 0),
        0,
      );
    expect(lateCanary).toBe(0);
    // Before the rollback the canary had its share of the traffic.
    const canaryServed = result.byBackend!.reduce(
      (a, b) => a + (b.counts['InferencePool/llm-canary-pool'] ?? 0),
      0,
    );
    expect(canaryServed).toBeGreaterThan(0);
    // The canary's replicas and pool go; the stable replicas still run the old image.
    await waitFor(async () => Object.keys(await images()).length === 2, {
      timeoutMs: 10_000,
      what: 'the canary removed',
    });
    expect(await images()).toEqual({
      'llm-worker-0': IMAGE,
      'llm-worker-1': IMAGE,
    });
    expect((await status())!.phase).toBe('RolledBack');
  }, 120_000);

  it('a healthy canary walks its steps (a scale-up meanwhile joins the stable track); promoted, the stable replicas move and the canary goes', async () => {
    await client.apply(
      service('llm', {
        steps: [20, 50],
        stepSeconds: 10,
        analysis: { maxErrorRate: 0.05 },
      }) as any,
    );
    await runningStable();
    const stableImage = (await images())['llm-worker-0'];
    await setImage('vllm/vllm-openai:v0.28.0');
    const traffic = load(40);
    // Scaled up while the canary runs: the new replica joins the stable track at the stable image (not the canary's).
    await waitFor(async () => (await status())?.phase === 'Progressing', {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the canary progressing',
    });
    const live = (await get())!;
    await client.mergePatch(KINDS.InferenceService, ns, 'llm', {
      spec: {
        roles: live.spec.roles.map(r =>
          r.componentType === 'worker' ? { ...r, replicas: 3 } : r,
        ),
      },
    });
    await waitFor(
      async () =>
        (await client.list<any>(KINDS.Pod, ns)).some(
          p =>
            p.metadata.labels?.['leaderworkerset.sigs.k8s.io/name'] ===
              'llm-worker-2' &&
            p.metadata.labels?.['fusioninfer.io/track'] === 'stable' &&
            p.spec.containers[0].image === stableImage &&
            p.status?.conditions?.some(
              (c: any) => c.type === 'Ready' && c.status === 'True',
            ),
        ),
      {
        timeoutMs: 20_000,
        what: 'a third stable replica Ready at the stable image',
      },
    );
    const waiting = await waitFor(
      async () => {
        const s = await status();
        return s?.phase === 'AwaitingPromotion' && s;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'every step passed' },
    );
    expect(waiting.weight).toBe(50);
    expect(waiting.events.map(e => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^canary Ready: 20 %/),
        'step 2 of 2: 50 %',
      ]),
    );
    await command('promote');
    await waitFor(async () => (await status())?.phase === 'Complete', {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: 'the promotion complete',
    });
    await waitFor(
      async () => {
        const i = await images();
        return (
          JSON.stringify(i) ===
          JSON.stringify({
            'llm-worker-0': 'vllm/vllm-openai:v0.28.0',
            'llm-worker-1': 'vllm/vllm-openai:v0.28.0',
            'llm-worker-2': 'vllm/vllm-openai:v0.28.0',
          })
        );
      },
      {
        timeoutMs: 20_000,
        what: 'the stable replicas at the new image, the canary gone',
      },
    );
    const r = await route();
    expect(r.spec.rules[0].backendRefs).toEqual([
      expect.objectContaining({ name: 'llm-pool' }),
    ]);
    const result = await traffic;
    // The service kept answering throughout.
    expect(result.statuses['200']).toBeGreaterThan(0);
    expect(result.failed / result.sent).toBeLessThan(0.02);
    const s = (await status()) as CanaryStatus;
    expect(s.events.map(e => e.message)).toContain(
      'promotion started by user:default/test',
    );
  }, 150_000);
});
