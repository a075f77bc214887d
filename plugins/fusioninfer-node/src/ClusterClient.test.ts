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
import net from 'net';
import os from 'os';
import path from 'path';
import { ConfigReader } from '@backstage/config';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterApiError,
  ClusterClient,
  toClusterApiError,
} from './ClusterClient';
import { createFusionInferClusters } from './clusters';
import { readFusionInferClusters } from './config';
import { KINDS } from './kinds';
import { minimalInferenceService, waitFor } from '@fusioninfer/test-utils';

const isvc = (name: string, replicas = 1) =>
  minimalInferenceService(name, { replicas });

describe('readFusionInferClusters', () => {
  it('reads the kubernetes-plugin field names with defaults', () => {
    const [c] = readFusionInferClusters(
      new ConfigReader({
        fusioninfer: {
          clusters: [
            {
              name: 'prod',
              url: 'https://k8s.example:6443',
              serviceAccountToken: 't',
              caData: 'Q0E=',
            },
          ],
        },
      }),
    );
    expect(c).toMatchObject({
      name: 'prod',
      url: 'https://k8s.example:6443',
      authProvider: 'serviceAccount',
      serviceAccountToken: 't',
      caData: 'Q0E=',
      skipTLSVerify: false,
      mode: 'manage',
    });
  });

  it.each([
    [
      { name: 'Prod', url: 'https://x' },
      /clusters\[0\]\.name: "Prod" must be a lowercase DNS label/,
    ],
    [
      { name: 'a' },
      /clusters\[0\]: set url \(with serviceAccountToken\) or kubeconfig/,
    ],
    [
      { name: 'a', url: 'ftp://x' },
      /clusters\[0\]\.url: "ftp:\/\/x" is not an http\(s\) URL/,
    ],
    [
      { name: 'a', url: 'https://x', authProvider: 'oidc' },
      /clusters\[0\]\.authProvider: only "serviceAccount"/,
    ],
    [
      { name: 'a', url: 'https://x', mode: 'write' },
      /clusters\[0\]\.mode: must be "manage" or "observe"/,
    ],
  ])('rejects %j naming the key and the rule', (cluster, message) => {
    expect(() =>
      readFusionInferClusters(
        new ConfigReader({ fusioninfer: { clusters: [cluster] } }),
      ),
    ).toThrow(message);
  });

  it('rejects duplicate names', () => {
    expect(() =>
      readFusionInferClusters(
        new ConfigReader({
          fusioninfer: {
            clusters: [
              { name: 'a', url: 'https://x' },
              { name: 'a', url: 'https://y' },
            ],
          },
        }),
      ),
    ).toThrow(/clusters\[1\]\.name: duplicate cluster name "a"/);
  });
});

describe('ClusterClient against the development cluster', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({ simulate: false });
    client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      serviceAccountToken: 'dev-token',
      skipTLSVerify: true,
      mode: 'manage',
    });
  });
  afterAll(() => dev.close());

  it('applies, gets, lists across pages, merge-patches and deletes with a uid precondition', async () => {
    for (let i = 0; i < 7; i++) await client.apply(isvc(`svc-${i}`) as any);
    expect(
      await client.get(KINDS.InferenceService, 'default', 'nope'),
    ).toBeUndefined();
    const got = await client.get<any>(
      KINDS.InferenceService,
      'default',
      'svc-3',
    );
    expect(got.metadata.managedFields[0].manager).toBe('backstage-fusioninfer');
    // Pagination: pages of 3 (limit/continue); list() follows every page.
    const counts = { ...dev.api.requestCounts };
    const all = await client.list(
      KINDS.InferenceService,
      'default',
      undefined,
      3,
    );
    expect(all.map(i => i.metadata.name).sort()).toEqual([
      'svc-0',
      'svc-1',
      'svc-2',
      'svc-3',
      'svc-4',
      'svc-5',
      'svc-6',
    ]);
    expect(dev.api.requestCounts.list - (counts.list ?? 0)).toBe(3);
    expect(
      (await client.list(KINDS.InferenceService, undefined, undefined, 2))
        .length,
    ).toBe(7);
    expect(
      (
        await client.list(
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            plural: 'namespaces',
            namespaced: false,
          },
          undefined,
          undefined,
          1,
        )
      ).length,
    ).toBeGreaterThan(1);
    expect(all[0]).toMatchObject({
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
    });
    const patched = await client.mergePatch<any>(
      KINDS.InferenceService,
      'default',
      'svc-3',
      { spec: { roles: [{ ...isvc('x').spec.roles[0], replicas: 3 }] } },
    );
    expect(patched.spec.roles[0].replicas).toBe(3);
    expect(patched.metadata.generation).toBe(2);
    await expect(
      client.delete(KINDS.InferenceService, 'default', 'svc-3', {
        uid: 'not-the-uid',
      }),
    ).rejects.toMatchObject({ code: 409 });
    expect(
      await client.delete(KINDS.InferenceService, 'default', 'svc-3', {
        uid: got.metadata.uid,
      }),
    ).toBe(true);
    expect(
      await client.delete(KINDS.InferenceService, 'default', 'svc-3'),
    ).toBe(false);
  });

  it('applies a namespaced object without a namespace into "default", as kubectl does; a cluster-scoped one stays so', async () => {
    const obj: any = isvc('no-namespace');
    delete obj.metadata.namespace;
    const applied = await client.apply(obj);
    expect(applied.metadata.namespace).toBe('default');
    expect(
      await client.get(KINDS.InferenceService, 'default', 'no-namespace'),
    ).toBeDefined();
    const ns = await client.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'scoped-check' },
    } as any);
    expect(ns.metadata.namespace).toBeUndefined();
  });

  it('turns API errors into ClusterApiError with code, reason and the server message', async () => {
    const bad = {
      ...isvc('bad'),
      spec: {
        roles: [{ name: 'inference', componentType: 'gpu', replicas: 1 }],
      },
    };
    const err = await client.apply(bad as any).catch(e => e);
    expect(err).toBeInstanceOf(ClusterApiError);
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toMatch(/componentType/);
    const stale = await client
      .mergePatch(KINDS.InferenceService, 'default', 'svc-1', {
        metadata: { resourceVersion: '1' },
        spec: {},
      })
      .catch(e => e);
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(
      toClusterApiError('x', new Error('socket hang up\n at foo')),
    ).toMatchObject({
      cluster: 'x',
      code: undefined,
      message: 'socket hang up',
    });
  });

  it('sends gets, applies, status writes and deletes over one keep-alive connection; informers and Leases open their own; no timer outlives a request', async () => {
    // a TCP relay in front of the API server, counting the connections clients open
    let connections = 0;
    const open = new Set<net.Socket>();
    const relay = net.createServer(socket => {
      connections++;
      const upstream = net.connect(Number(new URL(dev.url).port), '127.0.0.1');
      open.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>(r => relay.listen(0, '127.0.0.1', r));
    const c = new ClusterClient({
      name: 'relayed',
      url: `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
    });
    const timers = () =>
      process.getActiveResourcesInfo().filter(r => r === 'Timeout').length;
    try {
      const timersBefore = timers();
      for (let i = 0; i < 20; i++) {
        await c.apply(isvc(`kept-${i % 4}`) as any);
        await c.get(KINDS.InferenceService, 'default', `kept-${i % 4}`);
        await c.get(KINDS.InferenceService, 'default', 'missing');
      }
      await c.patchInferenceServiceStatus('default', 'kept-0', {
        phase: 'Pending',
      });
      await c.delete(KINDS.InferenceService, 'default', 'kept-3');
      expect(connections).toBe(1);
      // a request's time bound ends with it (AbortSignal.timeout would leave 62 timers running for 30 s)
      expect(timers() - timersBefore).toBeLessThan(5);
      const lease = c.lease('default', 'relayed');
      await lease.get(AbortSignal.timeout(5000));
      await lease.get(AbortSignal.timeout(5000));
      expect(connections).toBe(3);
      const informer = c.informer(KINDS.InferenceService, 'default');
      await informer.start();
      expect(informer.get('kept-0', 'default')).toBeDefined();
      // its list and its watch, each on a connection of its own
      await waitFor(() => connections === 5);
      expect(connections).toBe(5);
      await informer.stop();
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise(r => relay.close(r));
    }
  });

  it('writes status through the status subresource only', async () => {
    await client.patchInferenceServiceStatus('default', 'svc-0', {
      phase: 'Pending',
      replicas: 1,
      readyReplicas: 0,
    });
    const s = await client.get<any>(KINDS.InferenceService, 'default', 'svc-0');
    expect(s.status).toMatchObject({ phase: 'Pending', replicas: 1 });
    expect(s.metadata.generation).toBe(1);
  });

  it('refuses every write in observe mode without calling the API server', async () => {
    const observer = new ClusterClient({
      name: 'obs',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'observe',
    });
    expect(observer.readOnly).toBe(true);
    const before = JSON.stringify(dev.api.requestCounts);
    await expect(observer.apply(isvc('o') as any)).rejects.toMatchObject({
      code: 403,
      message: expect.stringMatching(/mode: observe; apply is not allowed/),
    });
    await expect(
      observer.delete(KINDS.InferenceService, 'default', 'svc-0'),
    ).rejects.toMatchObject({ code: 403 });
    await expect(
      observer.mergePatch(KINDS.InferenceService, 'default', 'svc-0', {}),
    ).rejects.toMatchObject({ code: 403 });
    await expect(
      observer.patchInferenceServiceStatus('default', 'svc-0', {}),
    ).rejects.toMatchObject({ code: 403 });
    expect(JSON.stringify(dev.api.requestCounts)).toBe(before);
    expect(
      (await observer.list(KINDS.InferenceService, 'default')).length,
    ).toBeGreaterThan(0);
  });

  it('connects through a kubeconfig file as well as url + token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fi-kc-'));
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'dev',
            cluster: { server: dev.url, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'u', user: { token: 'dev-token' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'dev', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const viaFile = new ClusterClient({
      name: 'file',
      kubeconfig: file,
      authProvider: 'serviceAccount',
      skipTLSVerify: false,
      mode: 'manage',
    });
    expect(
      (await viaFile.list(KINDS.InferenceService, 'default')).length,
    ).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an unreachable cluster fails fast with a ClusterApiError; the registry names unknown clusters', async () => {
    const down = new ClusterClient({
      name: 'down',
      url: 'http://127.0.0.1:1',
      authProvider: 'serviceAccount',
      skipTLSVerify: false,
      mode: 'manage',
    });
    await expect(down.list(KINDS.InferenceService)).rejects.toBeInstanceOf(
      ClusterApiError,
    );
    const registry = createFusionInferClusters([client, down]);
    expect(registry.list().map(c => c.name)).toEqual(['dev', 'down']);
    expect(() => registry.get('nope')).toThrow(
      /cluster "nope" is not configured/,
    );
  });
});

describe('ClusterClient against a cluster that checks tokens', () => {
  it('sends the bearer token on the raw-fetch path (get, list, request; the pod proxy and the informers use it too), and a wrong token is a 401', async () => {
    const dev = await startDevCluster({ simulate: false, tokens: ['s3cret'] });
    try {
      const client = new ClusterClient({
        name: 'dev',
        url: dev.url,
        authProvider: 'serviceAccount',
        serviceAccountToken: 's3cret',
        skipTLSVerify: true,
        mode: 'manage',
      });
      await client.apply(isvc('auth-svc'), { fieldManager: 'test' });
      // The raw-fetch paths (get, list, request) carry the token as the client-node paths do.
      expect(
        (await client.get<any>(KINDS.InferenceService, 'default', 'auth-svc'))
          ?.metadata.name,
      ).toBe('auth-svc');
      expect(
        (await client.list<any>(KINDS.InferenceService, 'default')).map(
          i => i.metadata.name,
        ),
      ).toEqual(['auth-svc']);
      const raw = await client.request('GET', '/api/v1/namespaces');
      expect(raw.status).toBe(200);
      const wrong = new ClusterClient({
        name: 'dev',
        url: dev.url,
        authProvider: 'serviceAccount',
        serviceAccountToken: 'wrong',
        skipTLSVerify: true,
        mode: 'manage',
      });
      await expect(
        wrong.get(KINDS.InferenceService, 'default', 'auth-svc'),
      ).rejects.toMatchObject({ code: 401 });
    } finally {
      await dev.close();
    }
  }, 30000);
});
