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
 * Test harness of the conformance suite: a KubeConfig for the cluster under test. By default an in-process
 * development cluster; with DEV_CLUSTER_CONFORMANCE_KUBECONFIG set, whatever cluster that file points at.
 */

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startDevCluster, DevCluster, DevClusterOptions } from '../cluster';

export interface TestCluster {
  kc: KubeConfig;
  dev?: DevCluster;
  namespace: string;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestCluster(
  options: DevClusterOptions = {},
): Promise<TestCluster> {
  const external = process.env.DEV_CLUSTER_CONFORMANCE_KUBECONFIG;
  const kc = new KubeConfig();
  let dev: DevCluster | undefined;
  if (external) kc.loadFromFile(external);
  else {
    dev = await startDevCluster({ simulate: false, ...options });
    kc.loadFromString(dev.kubeconfig());
  }
  const namespace = `conformance-${process.pid}-${++counter}`;
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
  return {
    kc,
    dev,
    namespace,
    close: async () => {
      try {
        await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
      } catch {
        // best effort
      }
      await dev?.close();
    },
  };
}
