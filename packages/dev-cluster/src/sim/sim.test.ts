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

import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { DevCluster, startDevCluster } from '../cluster';
import { loadExample, waitFor } from '@fusioninfer/test-utils';

describe('simulated controllers', () => {
  let dev: DevCluster;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const ns = 'default';
  beforeEach(async () => {
    dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 50, engine: { timeScale: 50 } },
    });
    kc = new KubeConfig();
    kc.loadFromString(dev.kubeconfig());
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  afterEach(() => dev.close());

  const lwsBody = (
    name: string,
    size: number,
    gpus = 1,
    extra: Record<string, unknown> = {},
  ) => ({
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: { name },
    spec: {
      replicas: 1,
      startupPolicy: 'LeaderCreated',
      leaderWorkerTemplate: {
        size,
        workerTemplate: {
          metadata: { labels: { app: name }, ...extra },
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai:v0.27.1',
                args: ['--model', 'Qwen/Qwen3-8B'],
                resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
              },
            ],
          },
        },
      },
    },
  });

  it('LeaderWorkerSet: creates leader and worker pods named and labelled like LWS, then reports Available', async () => {
    await custom.createNamespacedCustomObject({
      group: 'leaderworkerset.x-k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'leaderworkersets',
      body: lwsBody('demo', 2),
    });
    const lws: any = await waitFor(async () => {
      const o: any = await custom.getNamespacedCustomObject({
        group: 'leaderworkerset.x-k8s.io',
        version: 'v1',
        namespace: ns,
        plural: 'leaderworkersets',
        name: 'demo',
      });
      return o.status?.readyReplicas === 1 && o;
    });
    expect(
      lws.status.conditions.find((c: any) => c.type === 'Available'),
    ).toMatchObject({
      status: 'True',
      reason: 'AllGroupsReady',
      message: 'All replicas are ready',
    });
    expect(lws.status.hpaPodSelector).toBe(
      'leaderworkerset.sigs.k8s.io/name=demo,leaderworkerset.sigs.k8s.io/worker-index=0',
    );
    const pods = (
      await core.listNamespacedPod({
        namespace: ns,
        labelSelector: 'leaderworkerset.sigs.k8s.io/name=demo',
      })
    ).items;
    expect(pods.map(p => p.metadata!.name).sort()).toEqual([
      'demo-0',
      'demo-0-1',
    ]);
    const leader = pods.find(p => p.metadata!.name === 'demo-0')!;
    expect(leader.metadata!.labels).toMatchObject({
      app: 'demo',
      'leaderworkerset.sigs.k8s.io/group-index': '0',
      'leaderworkerset.sigs.k8s.io/worker-index': '0',
    });
    expect(leader.spec!.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'LWS_LEADER_ADDRESS', value: 'demo-0.demo.default' },
        { name: 'LWS_WORKER_INDEX', value: '0' },
      ]),
    );
    expect(
      pods.find(p => p.metadata!.name === 'demo-0-1')!.metadata!.annotations,
    ).toMatchObject({
      'leaderworkerset.sigs.k8s.io/leader-name': 'demo-0',
      'leaderworkerset.sigs.k8s.io/size': '2',
    });
    expect(leader.status!.phase).toBe('Running');
    expect(leader.status!.podIP).toMatch(/^127\./);
    expect(
      (await core.readNamespacedService({ name: 'demo', namespace: ns })).spec!
        .clusterIP,
    ).toBe('None');
  });

  it('Volcano: a gang that does not fit stays Pending with NotEnoughResources and binds nothing; a new node lets it bind at once', async () => {
    const pg = {
      apiVersion: 'scheduling.volcano.sh/v1beta1',
      kind: 'PodGroup',
      metadata: { name: 'gang' },
      spec: {
        minMember: 2,
        minTaskMember: { 'w-0': 2 },
        minResources: { 'nvidia.com/gpu': '16' },
      },
    };
    await custom.createNamespacedCustomObject({
      group: 'scheduling.volcano.sh',
      version: 'v1beta1',
      namespace: ns,
      plural: 'podgroups',
      body: pg,
    });
    const body = lwsBody('gang-w-0', 2, 8, {
      annotations: {
        'scheduling.k8s.io/group-name': 'gang',
        'volcano.sh/task-spec': 'w-0',
      },
    });
    (body.spec.leaderWorkerTemplate.workerTemplate.spec as any).schedulerName =
      'volcano';
    await custom.createNamespacedCustomObject({
      group: 'leaderworkerset.x-k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'leaderworkersets',
      body,
    });
    const stuck: any = await waitFor(async () => {
      const o: any = await custom.getNamespacedCustomObject({
        group: 'scheduling.volcano.sh',
        version: 'v1beta1',
        namespace: ns,
        plural: 'podgroups',
        name: 'gang',
      });
      return (
        o.status?.conditions?.some(
          (c: any) => c.reason === 'NotEnoughResources',
        ) && o
      );
    });
    const cond = stuck.status.conditions.find(
      (c: any) => c.type === 'Unschedulable',
    );
    expect(cond).toMatchObject({
      status: 'True',
      reason: 'NotEnoughResources',
    });
    expect(cond.message).toMatch(
      /^2\/2 tasks in gang unschedulable: pod group is not ready, 2 Pending, 2 minAvailable; Pending: 1 Unschedulable, 1 Schedulable$/,
    );
    expect(['Pending', 'Inqueue']).toContain(stuck.status.phase);
    const pods = (
      await core.listNamespacedPod({
        namespace: ns,
        labelSelector: 'leaderworkerset.sigs.k8s.io/name=gang-w-0',
      })
    ).items;
    expect(pods.every(p => !p.spec!.nodeName)).toBe(true);
    const events = (
      await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'involvedObject.kind=PodGroup,involvedObject.name=gang',
      })
    ).items;
    expect(
      events.some(e => e.reason === 'Unschedulable' && e.type === 'Warning'),
    ).toBe(true);
    const podEvents = (
      await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'reason=FailedScheduling',
      })
    ).items;
    expect(
      podEvents.some(e =>
        /0\/1 nodes are available: 1 Insufficient nvidia.com\/gpu\./.test(
          e.message ?? '',
        ),
      ),
    ).toBe(true);
    // add capacity: the whole gang binds together and runs
    const node = await core.readNode({ name: 'n0' });
    await core.createNode({
      body: { metadata: { name: 'n1' }, spec: {}, status: node.status },
    });
    await core.replaceNodeStatus({
      name: 'n1',
      body: { ...(await core.readNode({ name: 'n1' })), status: node.status },
    });
    const running: any = await waitFor(async () => {
      const o: any = await custom.getNamespacedCustomObject({
        group: 'scheduling.volcano.sh',
        version: 'v1beta1',
        namespace: ns,
        plural: 'podgroups',
        name: 'gang',
      });
      return o.status?.phase === 'Running' && o;
    });
    expect(running.status.running).toBe(2);
    const bound = (
      await core.listNamespacedPod({
        namespace: ns,
        labelSelector: 'leaderworkerset.sigs.k8s.io/name=gang-w-0',
      })
    ).items;
    expect(new Set(bound.map(p => p.spec!.nodeName))).toEqual(
      new Set(['n0', 'n1']),
    );
  });

  it('Deployment: creates a pod with pod-template-hash and reports availability', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    const dep = await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({
        name: 'web',
        namespace: ns,
      });
      return d.status?.availableReplicas === 1 && d;
    });
    expect(
      dep.status!.conditions!.find(c => c.type === 'Available')!.status,
    ).toBe('True');
    const pods = (
      await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })
    ).items;
    expect(pods).toHaveLength(1);
    expect(pods[0].metadata!.name).toMatch(/^web-[0-9a-f]{10}-[0-9a-f]{5}$/);
    expect(pods[0].metadata!.ownerReferences![0].kind).toBe('Deployment');
  });

  const bare = (
    name: string,
    container: Record<string, unknown>,
    restartPolicy?: string,
  ) =>
    core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { run: name } },
        spec: {
          ...(restartPolicy ? { restartPolicy } : {}),
          containers: [{ name, ...container }],
        },
      },
    });
  const readPod = (name: string) =>
    core.readNamespacedPod({ name, namespace: ns });
  const condition = (pod: any, type: string) =>
    pod.status?.conditions?.find((c: any) => c.type === type);

  it('a bare pod (kubectl run --restart=Never -- sleep 3600) is scheduled, started and Ready, and keeps running', async () => {
    await bare(
      'probe',
      { image: 'busybox:1.36', args: ['sleep', '3600'] },
      'Never',
    );
    const pod: any = await waitFor(async () => {
      const p = await readPod('probe');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    expect(pod.spec.nodeName).toBe('n0');
    expect(pod.status.phase).toBe('Running');
    for (const type of [
      'PodScheduled',
      'Initialized',
      'ContainersReady',
      'Ready',
    ])
      expect(condition(pod, type)?.status).toBe('True');
    expect(pod.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status.hostIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status.startTime).toBeTruthy();
    expect(pod.status.containerStatuses).toHaveLength(1);
    expect(pod.status.containerStatuses[0]).toMatchObject({
      name: 'probe',
      image: 'busybox:1.36',
      ready: true,
      started: true,
      restartCount: 0,
    });
    expect(
      pod.status.containerStatuses[0].state.running.startedAt,
    ).toBeTruthy();
    // sleep 3600 runs for an hour: well past the start-up delay it is still Running and Ready
    await new Promise(r => setTimeout(r, 400));
    await dev.simulation!.settle();
    const later: any = await readPod('probe');
    expect(later.status.phase).toBe('Running');
    expect(condition(later, 'Ready')?.status).toBe('True');
  });

  it("a bare pod with the default restart policy and the image's own program runs and is Ready", async () => {
    await bare('web', { image: 'nginx:1.27' });
    const pod: any = await waitFor(async () => {
      const p = await readPod('web');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses[0].state.running).toBeTruthy();
  });

  it('programs that end: echo succeeds after the start-up delay; sleep 1 is Running and Ready, then Succeeded', async () => {
    await bare(
      'hello',
      { image: 'busybox:1.36', command: ['echo', 'hello'] },
      'Never',
    );
    await bare(
      'nap',
      { image: 'busybox:1.36', command: ['sh', '-c', 'echo start; sleep 1'] },
      'OnFailure',
    );
    const hello: any = await waitFor(async () => {
      const p = await readPod('hello');
      return p.status?.phase === 'Succeeded' && p;
    });
    expect(hello.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    const napping: any = await waitFor(async () => {
      const p = await readPod('nap');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    expect(napping.status.phase).toBe('Running');
    const done: any = await waitFor(
      async () => {
        const p = await readPod('nap');
        return p.status?.phase === 'Succeeded' && p;
      },
      { timeoutMs: 5000 },
    );
    // what the programs printed
    for (const [pod, text] of [
      ['hello', 'hello\n'],
      ['nap', 'start\n'],
    ])
      expect(
        await (
          await fetch(`${dev.url}/api/v1/namespaces/${ns}/pods/${pod}/log`)
        ).text(),
      ).toBe(text);
    const { startedAt, finishedAt } =
      done.status.containerStatuses[0].state.terminated;
    expect(
      Date.parse(finishedAt) - Date.parse(startedAt),
    ).toBeGreaterThanOrEqual(1000);
  });

  it('a pod asking for more GPUs than any node has stays Pending: PodScheduled False, Unschedulable', async () => {
    await bare(
      'too-big',
      {
        image: 'vllm/vllm-openai:v0.27.1',
        resources: { limits: { 'nvidia.com/gpu': '16' } },
      },
      'Never',
    );
    const pod: any = await waitFor(async () => {
      const p = await readPod('too-big');
      return condition(p, 'PodScheduled')?.status === 'False' && p;
    });
    expect(condition(pod, 'PodScheduled')).toMatchObject({
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.',
    });
    await new Promise(r => setTimeout(r, 300));
    await dev.simulation!.settle();
    const later: any = await readPod('too-big');
    expect(later.status.phase).toBe('Pending');
    expect(later.spec.nodeName).toBeUndefined();
    expect(condition(later, 'Ready')).toBeUndefined();
    expect(condition(later, 'PodScheduled')?.status).toBe('False');
  });

  it('model servers answer OpenAI requests through the pod proxy and their vLLM metrics follow the load', async () => {
    await custom.createNamespacedCustomObject({
      group: 'leaderworkerset.x-k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'leaderworkersets',
      body: lwsBody('serve', 1),
    });
    await waitFor(async () =>
      (
        await core.readNamespacedPod({ name: 'serve-0', namespace: ns })
      ).status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      ),
    );
    const base = `${dev.url}/api/v1/namespaces/${ns}/pods/serve-0:8000/proxy`;
    const models = await (await fetch(`${base}/v1/models`)).json();
    expect(models.data[0].id).toBe('Qwen/Qwen3-8B');
    const prompt = 'You are a helpful assistant. '.repeat(40);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'Qwen/Qwen3-8B',
          prompt: `${prompt} question ${i}`,
          max_tokens: 8,
        }),
      });
      expect(r.status).toBe(200);
      const body = await r.json();
      expect(body.choices[0].text.length).toBeGreaterThan(0);
      expect(body.usage.prompt_tokens).toBeGreaterThan(100);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string) =>
      Number(
        new RegExp(`^${name.replace(/[:]/g, ':')}\\{[^}]*\\} (\\S+)`, 'm').exec(
          metrics,
        )?.[1],
      );
    expect(metrics).toContain('# TYPE vllm:num_requests_running gauge');
    expect(value('vllm:prompt_tokens_total')).toBeGreaterThan(300);
    expect(value('vllm:prefix_cache_hits_total')).toBeGreaterThan(0);
    expect(value('vllm:time_to_first_token_seconds_count')).toBe(3);
    expect(metrics).toMatch(
      /vllm:request_success_total\{engine="0",finished_reason="(stop|length)",model_name="Qwen\/Qwen3-8B"\} [1-3]\.0/,
    );
    const missing = await fetch(
      `${dev.url}/api/v1/namespaces/${ns}/pods/serve-0:9999/proxy/metrics`,
    );
    expect(missing.status).toBe(503);
  });

  it('brings an upstream example to life: rendered children of multi-node-router run, gang-scheduled, and the EPP refuses /metrics without auth', async () => {
    const isvc = loadExample('multi-node-router.yaml');
    const objects = new KubernetesObjectApi(kc as any);
    for (const child of renderInferenceService(isvc, { namespace: ns })
      .children) {
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
    }
    void objects;
    const pg: any = await waitFor(async () => {
      const o: any = await custom.getNamespacedCustomObject({
        group: 'scheduling.volcano.sh',
        version: 'v1beta1',
        namespace: ns,
        plural: 'podgroups',
        name: 'qwen-multi-node',
      });
      return o.status?.phase === 'Running' && o;
    });
    expect(pg.status.running).toBe(2);
    const lws: any = await waitFor(async () => {
      const o: any = await custom.getNamespacedCustomObject({
        group: 'leaderworkerset.x-k8s.io',
        version: 'v1',
        namespace: ns,
        plural: 'leaderworkersets',
        name: 'qwen-multi-node-inference-0',
      });
      return o.status?.readyReplicas === 1 && o;
    });
    expect(
      lws.status.conditions.find((c: any) => c.type === 'Available').status,
    ).toBe('True');
    const eppPod = await waitFor(async () =>
      (
        await core.listNamespacedPod({
          namespace: ns,
          labelSelector: 'app=qwen-multi-node-epp',
        })
      ).items.find(p =>
        p.status?.conditions?.some(
          c => c.type === 'Ready' && c.status === 'True',
        ),
      ),
    );
    const epp = await fetch(
      `${dev.url}/api/v1/namespaces/${ns}/pods/${eppPod.metadata!.name}:9090/proxy/metrics`,
    );
    expect(epp.status).toBe(401);
  });

  it('a P/D EPP on the upstream GIE image crash-loops with the real "not found in registry" reason', async () => {
    const isvc = loadExample('router-pd-disaggregation-2-decode.yaml');
    const children = renderInferenceService(isvc, {
      namespace: ns,
      pdEppImage: 'registry.k8s.io/gateway-api-inference-extension/epp:v1.2.1',
    }).children.filter(c =>
      ['ConfigMap', 'Deployment', 'ServiceAccount'].includes(c.kind),
    );
    for (const child of children)
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
    const pod = await waitFor(async () =>
      (
        await core.listNamespacedPod({
          namespace: ns,
          labelSelector: 'app=disaggregated-llm-service-epp',
        })
      ).items.find(
        p =>
          p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
          'CrashLoopBackOff',
      ),
    );
    expect(pod.status!.containerStatuses![0].state!.waiting!.message).toContain(
      "plugin type 'pd-profile-handler' is not found in registry",
    );
  });
});
