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
 * Rollouts against the development cluster (issue 19): a spec change moves a role one replica LeaderWorkerSet at a
 * time (or with a surge replica first), never with fewer Ready replicas than the policy allows, decode before
 * prefill, and without surge when there is no room — watched through the API as a user would watch it.
 */

import { DevCluster } from '@fusioninfer/dev-cluster';
import {
  InferenceService,
  ROLLOUT_ANNOTATION,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { waitFor } from '@fusioninfer/test-utils';
import { startReconciledDevCluster } from '../__testUtils__/canaryHarness';

const ns = 'default';

function service(
  name: string,
  roles: Array<{
    name: string;
    componentType: string;
    replicas: number;
    nodeCount?: number;
    gpus?: number;
  }>,
  annotation?: unknown,
): InferenceService {
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: ns,
      ...(annotation
        ? { annotations: { [ROLLOUT_ANNOTATION]: JSON.stringify(annotation) } }
        : {}),
    },
    spec: {
      roles: roles.map(r => ({
        name: r.name,
        componentType: r.componentType,
        replicas: r.replicas,
        ...(r.nodeCount ? { multinode: { nodeCount: r.nodeCount } } : {}),
        template: {
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai:v0.27.1',
                args: ['--model', 'Qwen/Qwen3-8B'],
                resources: {
                  limits: { 'nvidia.com/gpu': String(r.gpus ?? 1) },
                },
              },
            ],
          },
        },
      })),
    },
  } as unknown as InferenceService;
}

describe('rollouts', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  let close: (() => Promise<void>) | undefined;

  const start = async (nodes?: Array<{ name: string; gpus: number }>) => {
    ({ dev, client, close } = await startReconciledDevCluster({
      simulation: { podStartupDelayMs: 60 },
      ...(nodes ? { nodes } : {}),
    }));
  };
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** Per replica LWS of a role: whether all its pods are Ready, and whether its pods run `image`; surge LWSs apart. */
  const observe = (svc: string, role: string, image: string) => {
    const t = (r: string) =>
      dev.api.findType(
        r === 'pods' ? '' : 'leaderworkerset.x-k8s.io',
        'v1',
        r,
      )!;
    const lwss = (
      dev.api.list(t('leaderworkersets'), ns).items as any[]
    ).filter(
      l =>
        l.metadata.labels?.['fusioninfer.io/service'] === svc &&
        l.metadata.labels?.['fusioninfer.io/role-name'] === role,
    );
    const pods = (dev.api.list(t('pods'), ns).items as any[]).filter(
      p => !p.metadata.deletionTimestamp,
    );
    const groups = lwss.map(l => {
      const mine = pods.filter(
        p =>
          p.metadata.labels?.['leaderworkerset.sigs.k8s.io/name'] ===
          l.metadata.name,
      );
      const size = l.spec.leaderWorkerTemplate.size;
      const ready =
        mine.length >= size &&
        mine.every(p =>
          p.status?.conditions?.some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
        );
      return {
        surge: l.metadata.labels?.['fusioninfer.io/surge'] === 'true',
        ready,
        updated: ready && mine.every(p => p.spec.containers[0].image === image),
      };
    });
    const isvc = dev.api.get(
      dev.api.findType('fusioninfer.io', 'v1alpha1', 'inferenceservices')!,
      ns,
      svc,
    ) as any;
    return {
      ready: groups.filter(g => g.ready).length,
      updated: groups.filter(g => !g.surge && g.updated).length,
      surge: groups.filter(g => g.surge).length,
      // Whether the service says its rollout is complete.
      complete: (isvc?.status?.conditions ?? []).some(
        (c: any) => c.type === 'RolloutProgressing' && c.reason === 'Complete',
      ),
    };
  };

  /** Calls `fn` after every change the API server makes (beside the simulation's own listener); returns the undo. */
  const onEveryChange = (fn: () => void) => {
    const previous = dev.api.onChange;
    dev.api.onChange = () => {
      previous?.();
      fn();
    };
    return () => {
      dev.api.onChange = previous;
    };
  };

  /** Samples what `observe` sees on every change the API server makes, until `done`. */
  const watchUntil = async (
    svc: string,
    role: string,
    image: string,
    done: (o: ReturnType<typeof observe>) => boolean,
  ) => {
    const samples: Array<ReturnType<typeof observe>> = [];
    const stop = onEveryChange(() => samples.push(observe(svc, role, image)));
    try {
      await waitFor(() => done(observe(svc, role, image)), {
        timeoutMs: 60_000,
        what: `the rollout of ${svc}/${role}`,
      });
    } finally {
      stop();
    }
    return samples;
  };

  const setImage = async (svc: string, image: string, roles: string[]) => {
    const live = await client.get<InferenceService>(
      KINDS.InferenceService,
      ns,
      svc,
    );
    for (const r of live!.spec.roles)
      if (roles.includes(r.name)) r.template!.spec!.containers[0].image = image;
    await client.mergePatch(KINDS.InferenceService, ns, svc, {
      spec: live!.spec,
    });
  };

  const condition = async (svc: string) =>
    (
      await client.get<InferenceService>(KINDS.InferenceService, ns, svc)
    )?.status?.conditions?.find(c => c.type === 'RolloutProgressing');

  it('moves a 4-replica, 2-node role one replica at a time: never fewer than 3 Ready, then says it is complete', async () => {
    await start();
    await client.apply(
      service('roll', [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 4,
          nodeCount: 2,
        },
      ]),
      {
        fieldManager: 'kubectl',
      },
    );
    const old = 'vllm/vllm-openai:v0.27.1';
    await waitFor(() => observe('roll', 'inference', old).updated === 4, {
      timeoutMs: 60_000,
      what: '4 Ready replicas',
    });
    const next = 'vllm/vllm-openai:v0.27.2';
    await setImage('roll', next, ['inference']);
    const [progressing, samples] = await Promise.all([
      waitFor(
        async () =>
          (await condition('roll'))?.status === 'True' &&
          (await condition('roll')),
        { timeoutMs: 60_000, what: 'RolloutProgressing' },
      ),
      watchUntil(
        'roll',
        'inference',
        next,
        o => o.updated === 4 && o.ready === 4,
      ),
    ]);
    expect((progressing as { message?: string }).message).toMatch(
      /^inference: \d of 4 replicas at the new spec/,
    );
    expect(samples.length).toBeGreaterThan(10);
    expect(Math.min(...samples.map(s => s.ready))).toBe(3);
    expect(Math.max(...samples.map(s => s.surge))).toBe(0);
    await waitFor(
      async () => (await condition('roll'))?.reason === 'Complete',
      { what: 'the rollout to complete' },
    );
    // It says Complete only once the last wave is Ready too.
    for (const s of samples.filter(x => x.complete))
      expect(s).toMatchObject({ updated: 4, ready: 4 });
  }, 120_000);

  it('with maxSurge 1 and maxUnavailable 0 adds a surge replica (its own PodGroup) first and never has fewer than 4 Ready', async () => {
    await start();
    await client.apply(
      service(
        'surge',
        [
          {
            name: 'inference',
            componentType: 'worker',
            replicas: 4,
            nodeCount: 2,
          },
        ],
        {
          inference: { maxSurge: 1, maxUnavailable: 0 },
        },
      ),
      { fieldManager: 'kubectl' },
    );
    const old = 'vllm/vllm-openai:v0.27.1';
    await waitFor(() => observe('surge', 'inference', old).updated === 4, {
      timeoutMs: 60_000,
      what: '4 Ready replicas',
    });
    const next = 'vllm/vllm-openai:v0.27.2';
    await setImage('surge', next, ['inference']);
    const podGroup = waitFor(
      async () =>
        (
          await client.list(KINDS.PodGroup, ns, 'fusioninfer.io/surge=true')
        ).find(pg => pg.metadata.name === 'surge-inference-4-surge'),
      { timeoutMs: 60_000, what: 'the surge PodGroup' },
    );
    const samples = await watchUntil(
      'surge',
      'inference',
      next,
      o => o.updated === 4 && o.ready === 4 && o.surge === 0,
    );
    expect(((await podGroup) as any).spec.minMember).toBe(2);
    expect(Math.min(...samples.map(s => s.ready))).toBeGreaterThanOrEqual(4);
    expect(Math.max(...samples.map(s => s.surge))).toBe(1);
  }, 120_000);

  it('goes without surge when the cluster has no room, and says so', async () => {
    // Two nodes of 8 GPUs, two replicas of 8: nothing is left for a third.
    await start([
      { name: 'gpu-node-0', gpus: 8 },
      { name: 'gpu-node-1', gpus: 8 },
    ]);
    await client.apply(
      service(
        'full',
        [{ name: 'inference', componentType: 'worker', replicas: 2, gpus: 8 }],
        {
          inference: { maxSurge: 1, maxUnavailable: 0 },
        },
      ),
      { fieldManager: 'kubectl' },
    );
    const old = 'vllm/vllm-openai:v0.27.1';
    await waitFor(() => observe('full', 'inference', old).updated === 2, {
      timeoutMs: 60_000,
      what: '2 Ready replicas',
    });
    const next = 'vllm/vllm-openai:v0.27.2';
    await setImage('full', next, ['inference']);
    const [, samples] = await Promise.all([
      waitFor(
        async () =>
          /no room for a surge replica/.test(
            (await condition('full'))?.message ?? '',
          ),
        { timeoutMs: 60_000, what: 'the condition to say there is no room' },
      ),
      watchUntil(
        'full',
        'inference',
        next,
        o => o.updated === 2 && o.ready === 2,
      ),
    ]);
    expect(Math.max(...samples.map(s => s.surge))).toBe(0);
    expect(Math.min(...samples.map(s => s.ready))).toBe(1);
  }, 120_000);

  it('moves decode replicas before prefill ones', async () => {
    await start();
    await client.apply(
      service('pd', [
        { name: 'prefill', componentType: 'prefiller', replicas: 2 },
        { name: 'decode', componentType: 'decoder', replicas: 2 },
      ]),
      { fieldManager: 'kubectl' },
    );
    const old = 'vllm/vllm-openai:v0.27.1';
    await waitFor(
      () =>
        observe('pd', 'prefill', old).updated === 2 &&
        observe('pd', 'decode', old).updated === 2,
      {
        timeoutMs: 60_000,
        what: 'P/D Ready',
      },
    );
    const next = 'vllm/vllm-openai:v0.27.2';
    const order: string[] = [];
    const stop = onEveryChange(() => {
      for (const role of ['prefill', 'decode'])
        if (observe('pd', role, next).updated > 0 && !order.includes(role))
          order.push(role);
    });
    try {
      await setImage('pd', next, ['prefill', 'decode']);
      await waitFor(
        () =>
          observe('pd', 'prefill', next).updated === 2 &&
          observe('pd', 'decode', next).updated === 2,
        {
          timeoutMs: 60_000,
          what: 'both roles moved',
        },
      );
    } finally {
      stop();
    }
    expect(order).toEqual(['decode', 'prefill']);
  }, 120_000);
});
