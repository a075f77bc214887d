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

/* fusioninfer-dev-cluster: runs the development cluster standalone and writes a kubeconfig for kubectl / clients. */

import fs from 'fs';
import path from 'path';
import { startDevCluster, NodeSpec } from './cluster';
import { demoGateway } from './sim/gateway';
import {
  ModelServerBehaviours,
  parseBehaviourFlag,
  validateBehaviours,
} from './sim/behaviours';

const USAGE = `Usage: fusioninfer-dev-cluster [--port N] [--host H] [--kubeconfig PATH] [--persist PATH]
                               [--nodes N] [--gpus-per-node G] [--gpu-product P] [--gpu-memory-mib M]
                               [--startup-delay-ms MS] [--no-simulate]
                               [--behaviour PATTERN=field:value,...]... [--behaviours FILE.json]
                               [--token T] [--token-file PATH] [--http] [--demo]

Starts a Kubernetes API server for development (CRDs for InferenceService, LeaderWorkerSet, PodGroup,
InferencePool, HTTPRoute, Gateway) with simulated controllers, and writes a kubeconfig (context fusioninfer-dev).
Its nodes carry GPU feature discovery's labels: --gpu-product (default NVIDIA-H100-80GB-HBM3) and --gpu-memory-mib
(default 81559) set nvidia.com/gpu.product and nvidia.com/gpu.memory.

It serves HTTPS with a generated CA (kept next to the kubeconfig: ca.crt, apiserver.crt, apiserver.key) that the
kubeconfig trusts, as kind does; --http serves plain http instead (kubectl then sends no bearer token).
--token sets the admin's token (default dev-token); --token-file adds users in kube-apiserver's token file format
(token,user,uid,"group1,group2"), each authorized by RBAC. Without --token-file the cluster is open.

Model-server behaviours by image (see the README's "Model-server behaviours"): --behaviour, repeatable, e.g.
  --behaviour 'vllm/vllm-openai:v0.99-slow=startupDelayMs:20000,ttftMultiplier:2'
  --behaviour '*-broken=failStart:oom'
with the fields startupDelayMs, failStart (crash|oom), ttftMultiplier, latencyMultiplier, errorRate (0..1) and
notReadyAfterMs; --behaviours reads a JSON object of pattern -> behaviour (the flags override its entries). Without
configuration the tag suffixes -slowstart, -crash, -oom, -slow and -errors apply (vllm/vllm-openai:v0.27.1-slow).

--demo creates the Gateway the demo services' HTTPRoutes name: inference-gateway (class fusioninfer-dev, one HTTP
listener on port 80) in namespace demo, served by the simulated Gateway (see the README's "Gateway").
`;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--behaviours ${file}: ${(e as Error).message}`);
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const opts: Record<string, string | boolean> = {};
  const behaviourFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return;
    }
    if (a === '--no-simulate') opts.simulate = false;
    else if (a === '--behaviour' && argv[i + 1] !== undefined)
      behaviourFlags.push(argv[++i]);
    else if (a === '--http') opts.http = true;
    else if (a === '--demo') opts.demo = true;
    else if (a.startsWith('--') && argv[i + 1] !== undefined)
      opts[a.slice(2)] = argv[++i];
    else {
      process.stderr.write(
        `fusioninfer-dev-cluster: unexpected argument "${a}"\n\n${USAGE}`,
      );
      process.exitCode = 2;
      return;
    }
  }
  const count = Number(opts.nodes ?? 4);
  const gpus = Number(opts['gpus-per-node'] ?? 8);
  const gpuMemoryMiB =
    opts['gpu-memory-mib'] === undefined
      ? undefined
      : Number(opts['gpu-memory-mib']);
  if (
    !Number.isInteger(count) ||
    count < 0 ||
    !Number.isInteger(gpus) ||
    gpus < 0 ||
    (gpuMemoryMiB !== undefined &&
      (!Number.isInteger(gpuMemoryMiB) || gpuMemoryMiB <= 0))
  ) {
    process.stderr.write(
      'fusioninfer-dev-cluster: --nodes and --gpus-per-node must be non-negative integers, --gpu-memory-mib a positive integer\n',
    );
    process.exitCode = 2;
    return;
  }
  let behaviours: ModelServerBehaviours;
  try {
    behaviours = {
      ...(typeof opts.behaviours === 'string'
        ? validateBehaviours(readJson(path.resolve(opts.behaviours)))
        : {}),
      ...Object.fromEntries(behaviourFlags.map(parseBehaviourFlag)),
    };
  } catch (e) {
    process.stderr.write(`fusioninfer-dev-cluster: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const nodes: NodeSpec[] = Array.from({ length: count }, (_, i) => ({
    name: `gpu-node-${i}`,
    gpus,
    ...(typeof opts['gpu-product'] === 'string'
      ? { gpuProduct: opts['gpu-product'] }
      : {}),
    ...(gpuMemoryMiB !== undefined ? { gpuMemoryMiB } : {}),
  }));
  const kubeconfigPath = path.resolve(
    String(opts.kubeconfig ?? '.dev-cluster/kubeconfig'),
  );
  const tokenFile =
    typeof opts['token-file'] === 'string'
      ? path.resolve(opts['token-file'])
      : undefined;
  const cluster = await startDevCluster({
    port: Number(opts.port ?? 6443),
    tls: opts.http ? false : { dir: path.dirname(kubeconfigPath) },
    ...(tokenFile
      ? { tokens: [String(opts.token ?? 'dev-token')], tokenFile }
      : {}),
    ...(typeof opts.token === 'string' ? { tokens: [opts.token] } : {}),
    host: String(opts.host ?? '127.0.0.1'),
    persistPath:
      typeof opts.persist === 'string' ? path.resolve(opts.persist) : undefined,
    nodes,
    simulate: opts.simulate !== false,
    simulation: {
      podStartupDelayMs: Number(opts['startup-delay-ms'] ?? 3000),
      behaviours,
    },
  });
  if (opts.demo) {
    // the namespace the demo services go to (the dev backend seeds them there); kept across --persist restarts
    const gwT = cluster.api.findType(
      'gateway.networking.k8s.io',
      'v1',
      'gateways',
    )!;
    const gw = demoGateway('demo');
    if (!cluster.api.tryGet(gwT, 'demo', gw.metadata.name))
      cluster.api.create(gwT, 'demo', gw, { fieldManager: 'dev-cluster' });
  }
  cluster.writeKubeconfig(kubeconfigPath);
  process.stdout.write(
    `development cluster listening on ${cluster.url}\nkubeconfig: ${kubeconfigPath}\n  export KUBECONFIG=${kubeconfigPath}\n`,
  );
  const shutdown = async () => {
    await cluster.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch(e => {
    process.stderr.write(`fusioninfer-dev-cluster: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
