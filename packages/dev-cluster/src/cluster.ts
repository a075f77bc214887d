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

import fs from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import { FaultConfig, KObject, KubeApi } from './api';
import { DevApiHttpServer, PodHttpResolver } from './http';
import { KUBERNETES_VERSION } from './resources';
import { startSimulation, Simulation, SimulationOptions } from './sim';
import { validateBehaviours } from './sim/behaviours';
import { DevClusterUser, readTokenFile } from './rbac';
import { devCertificates } from './tls';

/** A node of the simulated inventory. */
export interface NodeSpec {
  name: string;
  gpus?: number;
  /**
   * The GPU as NVIDIA's GPU feature discovery labels it (`nvidia.com/gpu.product`); nodes with GPUs default to
   * {@link DEFAULT_GPU_PRODUCT}.
   */
  gpuProduct?: string;
  /** `nvidia.com/gpu.memory` in MiB, as GPU feature discovery sets it (default {@link DEFAULT_GPU_MEMORY_MIB}). */
  gpuMemoryMiB?: number;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
}

/** Options of {@link startDevCluster}. */
export interface DevClusterOptions {
  /** Port to listen on (0 = a free port). */
  port?: number;
  host?: string;
  /** Directories whose *.yaml CRDs are installed at start (default: the repository's crds/ and crds/third-party/). */
  crdDirs?: string[];
  /** JSON file that keeps every object across restarts. */
  persistPath?: string;
  /** Node inventory (default 4 nodes × 8 nvidia.com/gpu). */
  nodes?: NodeSpec[];
  /** Namespaces created at start (besides default, kube-system). */
  namespaces?: string[];
  faults?: FaultConfig;
  /** Run the simulated controllers (LWS, Volcano, kubelet, Deployment, model servers). Default true. */
  simulate?: boolean;
  simulation?: Omit<SimulationOptions, 'api'>;
  /**
   * Bearer tokens of the admin (user kubernetes-admin in system:masters, never checked by RBAC). With neither
   * tokens, users nor a token file, any token (or none) is the admin: the cluster is open.
   */
  tokens?: string[];
  /** Further identities (users, service accounts), each authorized by RBAC against the cluster's roles and bindings. */
  users?: DevClusterUser[];
  /** A kube-apiserver token file (`token,user,uid,"group1,group2"` per line) adding identities as `users` does. */
  tokenFile?: string;
  /**
   * Serve HTTPS with a generated CA (written into the kubeconfig) as kind does; `dir` keeps the CA and serving
   * certificate (ca.crt, apiserver.crt, apiserver.key) so kubeconfigs stay valid across restarts. Default: plain
   * http (in-process tests).
   */
  tls?: boolean | { dir?: string };
  /** Watch event window (events kept for resuming watches). */
  eventWindow?: number;
}

/** A running development cluster. */
export interface DevCluster {
  url: string;
  port: number;
  /** PEM of the CA that signed the serving certificate (https only). */
  ca?: string;
  api: KubeApi;
  simulation?: Simulation;
  /** Kubeconfig YAML text (context `fusioninfer-dev`), for the admin or for a user of `users` / the token file. */
  kubeconfig(user?: string): string;
  writeKubeconfig(file: string, user?: string): void;
  registerPodHttpHandler(resolver: PodHttpResolver): void;
  /** Records a core/v1 Event about an object (source component default `fusioninfer-dev-cluster`). */
  recordEvent(
    involved: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component?: string,
  ): void;
  close(): Promise<void>;
}

// The dev cluster runs from the repository's sources (never bundled), so the CRDs are found relative to it.
// eslint-disable-next-line no-restricted-syntax
const REPO_CRDS = path.resolve(__dirname, '../../../crds');

/** Loads every CRD document from the given directories. */
export function loadCrds(dirs: string[]): KObject[] {
  const out: KObject[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs
      .readdirSync(dir)
      .filter(n => /\.ya?ml$/.test(n))
      .sort()) {
      if (f.includes('.upstream.')) continue; // the upstream copy of our own CRD: ours wins
      for (const doc of parseAllDocuments(
        fs.readFileSync(path.join(dir, f), 'utf8'),
      )) {
        const js = doc.toJS();
        if (js?.kind === 'CustomResourceDefinition') out.push(js);
      }
    }
  }
  return out;
}

/** The GPU of the simulated nodes unless told otherwise: an H100 SXM, as GPU feature discovery names it. */
export const DEFAULT_GPU_PRODUCT = 'NVIDIA-H100-80GB-HBM3';
/** Its memory as `nvidia-smi` and GPU feature discovery report it, in MiB. */
export const DEFAULT_GPU_MEMORY_MIB = 81559;

export const DEFAULT_NODES: NodeSpec[] = [0, 1, 2, 3].map(i => ({
  name: `gpu-node-${i}`,
  gpus: 8,
  cpu: '96',
  memory: '1Ti',
}));

function nodeObject(n: NodeSpec): KObject {
  const capacity: Record<string, string> = {
    cpu: n.cpu ?? '96',
    memory: n.memory ?? '1Ti',
    pods: '110',
  };
  if (n.gpus) capacity['nvidia.com/gpu'] = String(n.gpus);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...(n.gpus
          ? {
              'nvidia.com/gpu.present': 'true',
              'nvidia.com/gpu.count': String(n.gpus),
              'nvidia.com/gpu.product': n.gpuProduct ?? DEFAULT_GPU_PRODUCT,
              'nvidia.com/gpu.memory': String(
                n.gpuMemoryMiB ?? DEFAULT_GPU_MEMORY_MIB,
              ),
            }
          : {}),
        ...(n.labels ?? {}),
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
      ],
      addresses: [{ type: 'Hostname', address: n.name }],
      nodeInfo: {
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
    },
  };
}

/** Starts the development cluster: API server, CRDs, seed objects and (by default) the simulation. */
export async function startDevCluster(
  options: DevClusterOptions = {},
): Promise<DevCluster> {
  // a bad behaviour table is refused before anything listens
  validateBehaviours(options.simulation?.behaviours);
  const api = new KubeApi({ eventWindow: options.eventWindow });
  if (options.faults) api.setFaults(options.faults);
  const crdType = api.findType(
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
  )!;
  const nsType = api.findType('', 'v1', 'namespaces')!;
  const nodeType = api.findType('', 'v1', 'nodes')!;

  let restored = false;
  if (options.persistPath && fs.existsSync(options.persistPath)) {
    api.restore(JSON.parse(fs.readFileSync(options.persistPath, 'utf8')));
    restored = true;
  }
  for (const crd of loadCrds(
    options.crdDirs ?? [REPO_CRDS, path.join(REPO_CRDS, 'third-party')],
  )) {
    if (!api.tryGet(crdType, undefined, crd.metadata.name))
      api.create(crdType, undefined, crd, { fieldManager: 'dev-cluster' });
  }
  for (const ns of [
    'default',
    'kube-system',
    'kube-public',
    ...(options.namespaces ?? ['fusioninfer-system', 'demo']),
  ]) {
    if (!api.tryGet(nsType, undefined, ns))
      api.create(
        nsType,
        undefined,
        { metadata: { name: ns } },
        { fieldManager: 'dev-cluster' },
      );
  }
  if (!restored) {
    for (const n of options.nodes ?? DEFAULT_NODES) {
      const created = api.create(nodeType, undefined, nodeObject(n), {
        fieldManager: 'dev-cluster',
      });
      api.update(
        nodeType,
        undefined,
        n.name,
        { ...created, status: nodeObject(n).status },
        { subresource: 'status', fieldManager: 'dev-cluster' },
      );
    }
  }

  let persistTimer: NodeJS.Timeout | undefined;
  const persistNow = () => {
    if (!options.persistPath) return;
    const tmp = `${options.persistPath}.tmp`;
    fs.mkdirSync(path.dirname(options.persistPath), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(api.snapshot()));
    fs.renameSync(tmp, options.persistPath);
  };
  if (options.persistPath) {
    api.onChange = () => {
      if (!persistTimer)
        persistTimer = setTimeout(() => {
          persistTimer = undefined;
          persistNow();
        }, 200);
    };
    persistNow();
  }

  const users = [
    ...(options.users ?? []),
    ...(options.tokenFile ? readTokenFile(options.tokenFile) : []),
  ];
  const host = options.host ?? '127.0.0.1';
  const certs = options.tls
    ? await devCertificates(
        [host],
        typeof options.tls === 'object' ? options.tls.dir : undefined,
      )
    : undefined;
  const httpServer = new DevApiHttpServer(api, {
    tokens: options.tokens,
    users,
    tls: certs,
  });
  const port = await httpServer.listen(options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${certs ? 'https' : 'http'}://${urlHost}:${port}`;

  const eventType = api.findType('', 'v1', 'events')!;
  const recordEvent: DevCluster['recordEvent'] = (
    involved,
    type,
    reason,
    message,
    component,
  ) => {
    const ns = involved.metadata.namespace ?? 'default';
    const now = new Date().toISOString();
    try {
      api.create(
        eventType,
        ns,
        {
          metadata: {
            generateName: `${involved.metadata.name}.`,
            namespace: ns,
          },
          involvedObject: {
            apiVersion: involved.apiVersion,
            kind: involved.kind,
            name: involved.metadata.name,
            namespace: involved.metadata.namespace,
            uid: involved.metadata.uid,
          },
          type,
          reason,
          message,
          source: {
            component: component ?? 'fusioninfer-dev-cluster',
            ...(involved.kind === 'Pod' &&
            involved.spec?.nodeName &&
            component === 'kubelet'
              ? { host: involved.spec.nodeName }
              : {}),
          },
          reportingComponent: component ?? 'fusioninfer-dev-cluster',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        { fieldManager: 'dev-cluster' },
      );
    } catch {
      // the namespace may be terminating; events are best effort, as in Kubernetes
    }
  };

  const kubeconfig = (user?: string) => {
    let token = options.tokens?.[0] ?? 'dev-token';
    if (user !== undefined) {
      const u = users.find(x => x.name === user);
      if (!u)
        throw new Error(
          `no user "${user}" in the development cluster's users or token file`,
        );
      token = u.token;
    }
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fusioninfer-dev',
      '  cluster:',
      `    server: ${url}`,
      certs
        ? `    certificate-authority-data: ${Buffer.from(certs.ca).toString('base64')}`
        : '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${JSON.stringify(user ?? 'fusioninfer-dev')}`,
      '  user:',
      `    token: ${JSON.stringify(token)}`,
      'contexts:',
      '- name: fusioninfer-dev',
      '  context:',
      '    cluster: fusioninfer-dev',
      `    user: ${JSON.stringify(user ?? 'fusioninfer-dev')}`,
      '    namespace: default',
      'current-context: fusioninfer-dev',
      '',
    ].join('\n');
  };

  const cluster: DevCluster = {
    url,
    port,
    ...(certs ? { ca: certs.ca } : {}),
    api,
    kubeconfig,
    writeKubeconfig: (file, user) => {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.writeFileSync(file, kubeconfig(user), { mode: 0o600 });
    },
    registerPodHttpHandler: r => httpServer.registerPodHttpHandler(r),
    recordEvent,
    close: async () => {
      await cluster.simulation?.stop();
      await httpServer.close();
      api.close();
      if (persistTimer) clearTimeout(persistTimer);
      persistNow();
    },
  };
  if (options.simulate !== false) {
    cluster.simulation = startSimulation({
      ...(options.simulation ?? {}),
      api,
      recordEvent,
      registerPodHttpHandler: r => httpServer.registerPodHttpHandler(r),
      registerServiceHttpHandler: r => httpServer.registerServiceHttpHandler(r),
      registerPodLogSource: s => httpServer.registerPodLogSource(s),
    });
  }
  return cluster;
}
