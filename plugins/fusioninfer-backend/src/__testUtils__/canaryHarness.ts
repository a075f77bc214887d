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
 * One harness for the rollout and canary tests and the canary benchmark: a development cluster with its Gateway, the
 * reconciler against it over HTTP, and (canaries) the canary controller with its own metrics collector; plus the
 * canary service they deploy.
 */

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  demoGateway,
  DevCluster,
  DevClusterOptions,
  startDevCluster,
} from '@fusioninfer/dev-cluster';
import {
  CANARY_ANNOTATION,
  InferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { devClusterConfig } from '@fusioninfer/test-utils';
import { CanaryController } from '../canary/CanaryController';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { ClusterReconciler } from '../reconciler/ClusterReconciler';
import { ServiceSource } from '../views/ServiceSource';

/** A logger that says nothing. */
export const silentLogger: LoggerService = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => silentLogger,
};

/** A development cluster and a started reconciler of it; `close` stops both. */
export async function startReconciledDevCluster(
  options: DevClusterOptions = {},
  logger: LoggerService = silentLogger,
  /** More reconciler options (a benchmark's fixed project quota, say). */
  reconcilerOptions: Partial<
    ConstructorParameters<typeof ClusterReconciler>[0]
  > = {},
): Promise<{
  dev: DevCluster;
  client: ClusterClient;
  reconciler: ClusterReconciler;
  close(): Promise<void>;
}> {
  const dev = await startDevCluster(options);
  const client = new ClusterClient(devClusterConfig(dev.url));
  const reconciler = new ClusterReconciler({
    client,
    logger,
    baseDelayMs: 20,
    resyncSeconds: 3600,
    ...reconcilerOptions,
  });
  await reconciler.start();
  return {
    dev,
    client,
    reconciler,
    close: async () => {
      await reconciler.stop();
      await dev.close();
    },
  };
}

/**
 * The above with the Gateway `inference-gateway` in `namespace` and a started canary controller that evaluates every
 * `intervalMs` on windows of the metrics collector just under it. Model servers prefill at 1,000 tokens/s: with
 * prompts without a shared prefix (loadgen `promptMix: 'random'`) times to first token are ~60 ms, far above the
 * event loop's jitter, so a gate compares model servers, not timers.
 */
export async function startCanaryHarness(o: {
  namespace: string;
  intervalMs: number;
  podStartupDelayMs: number;
  logger?: LoggerService;
}) {
  const logger = o.logger ?? silentLogger;
  const h = await startReconciledDevCluster(
    {
      simulation: {
        podStartupDelayMs: o.podStartupDelayMs,
        engine: { prefillTokensPerSecond: 1000 },
      },
    },
    logger,
  );
  const source = {
    clusterNames: () => ['dev'],
    client: () => h.client,
    listServices: async () =>
      h.client.list<InferenceService>(KINDS.InferenceService, o.namespace),
  } as unknown as ServiceSource;
  const controller = new CanaryController({
    logger,
    source,
    metrics: new MetricsCollector({
      logger,
      minIntervalMs: o.intervalMs - 100,
      pollIntervalMs: 0,
    }),
    view: (_c, n, name) => h.reconciler.canaryView(n, name),
    isLeader: () => true,
    intervalMs: o.intervalMs,
  });
  controller.start();
  await h.client.apply(demoGateway(o.namespace) as any);
  return {
    ...h,
    controller,
    close: async () => {
      await controller.stop();
      await h.close();
    },
  };
}

/**
 * A service with a router whose route hangs off the Gateway `inference-gateway` (host `{name}.example.com`), a
 * 2-replica worker role of `image` with 1 GPU each, and the canary policy `canary`.
 */
export function canaryService(
  name: string,
  namespace: string,
  canary: unknown,
  image: string,
): InferenceService {
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace,
      annotations: { [CANARY_ANNOTATION]: JSON.stringify(canary) },
    },
    spec: {
      roles: [
        {
          name: 'router',
          componentType: 'router',
          strategy: 'queue-size',
          httproute: {
            parentRefs: [{ name: 'inference-gateway' }],
            hostnames: [`${name}.example.com`],
          },
        },
        {
          name: 'worker',
          componentType: 'worker',
          replicas: 2,
          template: {
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
      ],
    },
  } as unknown as InferenceService;
}
