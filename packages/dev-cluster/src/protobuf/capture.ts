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
 * Regenerates the protobuf test data: runs a development cluster whose body reader records every request body sent
 * as application/vnd.kubernetes.protobuf, points the real kubectl at it and runs the generator commands people type.
 * Usage (from packages/dev-cluster): node -r @backstage/cli/config/nodeTransform.cjs src/protobuf/capture.ts
 */

import { execFile } from 'child_process';
import { promisify } from 'util';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DevApiHttpServer } from '../http';
import { startDevCluster } from '../cluster';

export const CAPTURE_COMMANDS: Array<{ name: string; args: string[] }> = [
  { name: 'namespace', args: ['create', 'namespace', 'ml2'] },
  {
    name: 'configmap',
    args: [
      '-n',
      'ml',
      'create',
      'configmap',
      'c',
      '--from-literal=a=b',
      '--from-literal=x=y',
    ],
  },
  {
    name: 'secret-generic',
    args: [
      '-n',
      'ml',
      'create',
      'secret',
      'generic',
      's',
      '--from-literal=password=s3cr3t',
    ],
  },
  {
    name: 'secret-docker-registry',
    args: [
      '-n',
      'ml',
      'create',
      'secret',
      'docker-registry',
      'regcred',
      '--docker-server=registry.example.com',
      '--docker-username=u',
      '--docker-password=p',
    ],
  },
  {
    name: 'serviceaccount',
    args: ['-n', 'ml', 'create', 'serviceaccount', 'runner'],
  },
  {
    name: 'role',
    args: [
      '-n',
      'ml',
      'create',
      'role',
      'reader',
      '--verb=get,list,watch',
      '--resource=pods,pods/proxy,inferenceservices.fusioninfer.io',
      '--resource-name=a',
    ],
  },
  {
    name: 'rolebinding',
    args: [
      '-n',
      'ml',
      'create',
      'rolebinding',
      'reader',
      '--role=reader',
      '--serviceaccount=ml:runner',
      '--user=alice',
      '--group=devs',
    ],
  },
  {
    name: 'clusterrole',
    args: [
      'create',
      'clusterrole',
      'node-reader',
      '--verb=get',
      '--resource=nodes',
      '--non-resource-url=/healthz',
    ],
  },
  {
    name: 'clusterrolebinding',
    args: [
      'create',
      'clusterrolebinding',
      'node-reader',
      '--clusterrole=node-reader',
      '--user=bob',
    ],
  },
  {
    name: 'deployment',
    args: [
      '-n',
      'ml',
      'create',
      'deployment',
      'web',
      '--image=nginx:1.27',
      '--replicas=2',
      '--port=80',
    ],
  },
  {
    name: 'deployment-zero',
    args: [
      '-n',
      'ml',
      'create',
      'deployment',
      'idle',
      '--image=busybox',
      '--replicas=0',
      '--',
      'sleep',
      '3600',
    ],
  },
  {
    name: 'pod-run',
    args: [
      '-n',
      'ml',
      'run',
      'p',
      '--image=nginx',
      '--port=80',
      '--env=A=B',
      '--labels=app=p,tier=web',
      '--restart=Never',
      '--',
      'nginx',
      '-g',
      'daemon off;',
    ],
  },
  {
    name: 'service-expose',
    args: [
      '-n',
      'ml',
      'expose',
      'pod',
      'seed',
      '--port=8080',
      '--target-port=80',
      '--name=p-svc',
    ],
  },
  {
    name: 'job',
    args: [
      '-n',
      'ml',
      'create',
      'job',
      'once',
      '--image=busybox',
      '--',
      'echo',
      'done',
    ],
  },
  {
    name: 'service-clusterip',
    args: [
      '-n',
      'ml',
      'create',
      'service',
      'clusterip',
      'svc',
      '--tcp=80:8080',
    ],
  },
  {
    name: 'selfsubjectaccessreview',
    args: ['auth', 'can-i', 'get', 'pods/proxy', '-n', 'ml'],
  },
  {
    name: 'selfsubjectrulesreview',
    args: ['auth', 'can-i', '--list', '-n', 'ml'],
  },
];

async function main() {
  // run from the repository's sources, never bundled
  // eslint-disable-next-line no-restricted-syntax
  const out = path.resolve(__dirname, 'testdata');
  fs.mkdirSync(out, { recursive: true });
  let current = '';
  const proto = DevApiHttpServer.prototype as any;
  const readBody = proto.readBody;
  proto.readBody = async function capture(req: any) {
    const body: Buffer = await readBody.call(this, req);
    if (
      String(req.headers['content-type'] ?? '').includes('protobuf') &&
      current
    ) {
      fs.writeFileSync(path.join(out, `${current}.pb`), body);
      process.stdout.write(
        `captured ${current}: ${req.method} ${req.url} (${body.length} bytes)\n`,
      );
    }
    return body;
  };
  const dev = await startDevCluster({ simulate: false });
  // kubectl expose reads the pod it exposes; namespace ml for the namespaced commands
  dev.api.create(dev.api.findType('', 'v1', 'namespaces')!, undefined, {
    metadata: { name: 'ml' },
  });
  dev.api.create(dev.api.findType('', 'v1', 'pods')!, 'ml', {
    metadata: { name: 'seed', labels: { app: 'seed' } },
    spec: {
      containers: [
        { name: 'seed', image: 'nginx', ports: [{ containerPort: 80 }] },
      ],
    },
  });
  for (const kind of ['SelfSubjectAccessReview', 'SelfSubjectRulesReview'])
    if (
      !dev.api.findType('authorization.k8s.io', 'v1', `${kind.toLowerCase()}s`)
    )
      dev.api.registerType({
        group: 'authorization.k8s.io',
        version: 'v1',
        kind,
        listKind: `${kind}List`,
        plural: `${kind.toLowerCase()}s`,
        singular: kind.toLowerCase(),
        namespaced: false,
        status: false,
        builtin: true,
      });
  const kubeconfig = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'capture-')),
    'kubeconfig',
  );
  dev.writeKubeconfig(kubeconfig);
  try {
    for (const c of CAPTURE_COMMANDS) {
      current = c.name;
      try {
        await promisify(execFile)('kubectl', [
          '--kubeconfig',
          kubeconfig,
          ...c.args,
        ]);
      } catch (e) {
        process.stdout.write(
          `  (${c.name}: ${String((e as any).stderr).trim()})\n`,
        );
      }
    }
  } finally {
    await dev.close();
  }
}

if (process.argv[1]?.endsWith('capture.ts')) main();
