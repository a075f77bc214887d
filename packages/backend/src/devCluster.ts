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
 * Embeds the development Kubernetes cluster in the dev backend when app-config asks for it
 * (fusioninfer.devCluster.enabled). The FusionInfer plugins never import it: they reach it through
 * fusioninfer.clusters[] (URL + token), exactly like a real cluster.
 */

import fs from 'fs';
import path from 'path';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  demoGateway,
  ModelServerBehaviours,
  startDevCluster,
} from '@fusioninfer/dev-cluster';
import { parse } from 'yaml';

export const devClusterPlugin = createBackendPlugin({
  pluginId: 'fusioninfer-dev-cluster',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.rootLifecycle,
      },
      async init({ config, logger, lifecycle }) {
        const dc = config.getOptionalConfig('fusioninfer.devCluster');
        if (!dc?.getOptionalBoolean('enabled')) return;
        const repoRoot = path.resolve(process.cwd(), '../..');
        const persist = dc.getOptionalString('persistPath');
        const kubeconfigPath = path.resolve(
          repoRoot,
          dc.getOptionalString('kubeconfigPath') ?? '.dev-cluster/kubeconfig',
        );
        const cluster = await startDevCluster({
          // https with a generated CA kept next to the kubeconfig (kubectl sends tokens only over https)
          tls:
            (dc.getOptionalBoolean('tls') ?? true)
              ? { dir: path.dirname(kubeconfigPath) }
              : false,
          port: dc.getOptionalNumber('port') ?? 16443,
          host: '127.0.0.1',
          persistPath: persist ? path.resolve(repoRoot, persist) : undefined,
          nodes: Array.from(
            { length: dc.getOptionalNumber('nodes') ?? 4 },
            (_, i) => ({
              name: `gpu-node-${i}`,
              gpus: dc.getOptionalNumber('gpusPerNode') ?? 8,
              gpuProduct: dc.getOptionalString('gpuProduct'),
              gpuMemoryMiB: dc.getOptionalNumber('gpuMemoryMiB'),
            }),
          ),
          tokens: [dc.getOptionalString('token') ?? 'dev-token'],
          simulation: {
            podStartupDelayMs:
              dc.getOptionalNumber('podStartupDelayMs') ?? 3000,
            // model-server behaviours by image pattern (startDevCluster validates them and refuses a bad table)
            behaviours: dc.getOptional('behaviours') as
              ModelServerBehaviours | undefined,
          },
        });
        cluster.writeKubeconfig(kubeconfigPath);
        logger.info(
          `development cluster listening on ${cluster.url} (kubeconfig ${kubeconfigPath})`,
        );
        if (dc.getOptionalBoolean('seedDemo') ?? true) {
          // The demo namespace's Gateway (the development cluster implements class fusioninfer-dev): routes that
          // name it as parent get traffic through it, weighted between a canary's pools.
          const gatewayType = cluster.api.findType(
            'gateway.networking.k8s.io',
            'v1',
            'gateways',
          )!;
          const gateway = demoGateway('demo');
          if (!cluster.api.tryGet(gatewayType, 'demo', gateway.metadata.name))
            cluster.api.create(gatewayType, 'demo', gateway, {
              fieldManager: 'dev-cluster-seed',
            });
          const isvcType = cluster.api.findType(
            'fusioninfer.io',
            'v1alpha1',
            'inferenceservices',
          )!;
          const dir = path.join(repoRoot, 'examples/demo');
          for (const file of fs.existsSync(dir)
            ? fs.readdirSync(dir).filter(f => f.endsWith('.yaml'))
            : []) {
            const obj = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
            if (!cluster.api.tryGet(isvcType, 'demo', obj.metadata.name)) {
              cluster.api.create(
                isvcType,
                'demo',
                { ...obj, metadata: { ...obj.metadata, namespace: 'demo' } },
                { fieldManager: 'dev-cluster-seed' },
              );
              logger.info(
                `seeded demo InferenceService demo/${obj.metadata.name}`,
              );
            }
          }
        }
        lifecycle.addShutdownHook(() => cluster.close());
      },
    });
  },
});
