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
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startDevCluster } from '../cluster';

describe('development cluster operation', () => {
  it('injects faults per verb: error rate, throttling with Retry-After, latency and forced conflicts', async () => {
    const dev = await startDevCluster({
      simulate: false,
      faults: { errorRate: { create: 1 }, seed: 7 },
    });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(dev.kubeconfig());
      const core = kc.makeApiClient(CoreV1Api);
      const e = await core
        .createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'f' } },
        })
        .catch(x => x);
      expect(e.code).toBe(500);
      dev.api.setFaults({ errorRate: { list: 1 }, throttle: true });
      const res = await fetch(
        `${dev.url}/api/v1/namespaces/default/configmaps`,
      );
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      dev.api.setFaults({ latencyMs: { get: 150 } });
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'f' } },
      });
      const t0 = Date.now();
      await core.readNamespacedConfigMap({ name: 'f', namespace: 'default' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      dev.api.setFaults({
        forcedConflicts: { count: 1, plural: 'configmaps' },
      });
      const cm = await core.readNamespacedConfigMap({
        name: 'f',
        namespace: 'default',
      });
      const c1 = await core
        .replaceNamespacedConfigMap({
          name: 'f',
          namespace: 'default',
          body: cm,
        })
        .catch(x => x);
      expect(c1.code).toBe(409);
      await expect(
        core.replaceNamespacedConfigMap({
          name: 'f',
          namespace: 'default',
          body: cm,
        }),
      ).resolves.toBeTruthy();
    } finally {
      await dev.close();
    }
  });

  it('keeps objects and a monotonic resourceVersion across a restart when persistence is on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devcluster-'));
    const file = path.join(dir, 'state.json');
    const first = await startDevCluster({ simulate: false, persistPath: file });
    const kc = new KubeConfig();
    kc.loadFromString(first.kubeconfig());
    const saved = await kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: 'demo',
      body: { metadata: { name: 'kept' }, data: { a: '1' } },
    });
    await first.close();
    const second = await startDevCluster({
      simulate: false,
      persistPath: file,
    });
    try {
      const kc2 = new KubeConfig();
      kc2.loadFromString(second.kubeconfig());
      const core = kc2.makeApiClient(CoreV1Api);
      const back = await core.readNamespacedConfigMap({
        name: 'kept',
        namespace: 'demo',
      });
      expect(back.data).toEqual({ a: '1' });
      expect(back.metadata!.uid).toBe(saved.metadata!.uid);
      const next = await core.createNamespacedConfigMap({
        namespace: 'demo',
        body: { metadata: { name: 'later' } },
      });
      expect(Number(next.metadata!.resourceVersion)).toBeGreaterThan(
        Number(saved.metadata!.resourceVersion),
      );
      expect((await core.listNode()).items).toHaveLength(4);
    } finally {
      await second.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers malformed requests with Status errors instead of failing', async () => {
    const dev = await startDevCluster({ simulate: false, tokens: ['secret'] });
    try {
      const unauth = await fetch(`${dev.url}/api/v1/namespaces`);
      expect(unauth.status).toBe(401);
      const headers = {
        Authorization: 'Bearer secret',
        'content-type': 'application/json',
      };
      const bad = await fetch(
        `${dev.url}/api/v1/namespaces/default/configmaps`,
        { method: 'POST', headers, body: '{not json' },
      );
      expect(bad.status).toBe(400);
      expect((await bad.json()).kind).toBe('Status');
      const nope = await fetch(`${dev.url}/apis/nope.io/v1/things`, {
        headers,
      });
      expect(nope.status).toBe(404);
      const badPatch = await fetch(`${dev.url}/api/v1/namespaces/default`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(badPatch.status).toBe(415);
      const badSelector = await fetch(
        `${dev.url}/api/v1/pods?labelSelector=a%20in%20(b`,
        { headers },
      );
      expect(badSelector.status).toBe(400);
      expect((await fetch(`${dev.url}/healthz`)).status).toBe(200);
    } finally {
      await dev.close();
    }
  });

  it('leaves no timer running after close, even with a namespace held Terminating by a finalizer (no Jest worker kept alive)', async () => {
    const dev = await startDevCluster({
      simulation: { podStartupDelayMs: 50 },
    });
    const nsT = dev.api.findType('', 'v1', 'namespaces')!;
    dev.api.create(nsT, undefined, { metadata: { name: 'held' } });
    dev.api.create(dev.api.findType('', 'v1', 'configmaps')!, 'held', {
      metadata: { name: 'c', finalizers: ['example.com/hold'] },
    });
    dev.api.delete(nsT, undefined, 'held');
    await new Promise(r => setTimeout(r, 100));
    expect(dev.api.get(nsT, undefined, 'held').status.phase).toBe(
      'Terminating',
    );
    // the retry lives in the API's garbage collector (src/api/gc.ts)
    const retries = jest.spyOn((dev.api as any).gc, 'finishNamespace');
    await new Promise(r => setTimeout(r, 60));
    expect(retries).toHaveBeenCalled(); // retried every 20 ms while open
    await dev.close();
    retries.mockClear();
    await new Promise(r => setTimeout(r, 100));
    expect(retries).not.toHaveBeenCalled();
  });

  it('runs standalone from the command line and writes a working kubeconfig', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devcluster-cli-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    const bin = path.resolve(__dirname, '../../bin/fusioninfer-dev-cluster');
    const child = spawn(
      process.execPath,
      [
        bin,
        '--port',
        '0',
        '--kubeconfig',
        kubeconfig,
        '--nodes',
        '2',
        '--no-simulate',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      child.stdout.on('data', d => {
        out += d;
      });
      const deadline = Date.now() + 20000;
      while (!out.includes('kubeconfig:') && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 50));
      // https with the generated CA in the kubeconfig (and next to it), as kind
      expect(out).toMatch(
        /development cluster listening on https:\/\/127\.0\.0\.1:\d+/,
      );
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getCurrentContext()).toBe('fusioninfer-dev');
      expect(kc.getCurrentCluster()?.caData).toBe(
        Buffer.from(
          fs.readFileSync(path.join(path.dirname(kubeconfig), 'ca.crt')),
        ).toString('base64'),
      );
      expect(kc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
      expect(
        (await kc.makeApiClient(CoreV1Api).listNode()).items.map(
          n => n.metadata!.name,
        ),
      ).toEqual(['gpu-node-0', 'gpu-node-1']);
    } finally {
      child.kill('SIGTERM');
      await new Promise(r => child.on('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
