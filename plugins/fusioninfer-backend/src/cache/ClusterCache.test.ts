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

import { startDevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterClient,
  isNamespaceAllowed,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { ClusterCache } from './ClusterCache';
import { startPartitionProxy } from '../__testUtils__/partitionProxy';
import { waitFor } from '@fusioninfer/test-utils';

const cm = (ns: string, name: string, svc = 'svc') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: ns,
    labels: { 'fusioninfer.io/service': svc },
  },
  data: { a: '1' },
});

describe('ClusterCache', () => {
  it('sends timeoutSeconds and asks for bookmarks on every watch, and relists a watch that stalls without closing', async () => {
    const dev = await startDevCluster({ simulate: false });
    const proxy = await startPartitionProxy(dev.url);
    const cfg = {
      name: 'dev',
      authProvider: 'serviceAccount' as const,
      skipTLSVerify: true,
      mode: 'manage' as const,
    };
    const viaProxy = new ClusterClient(
      { ...cfg, url: proxy.url },
      { informer: { stallTimeoutMs: 400, watchTimeoutSeconds: 120 } },
    );
    const direct = new ClusterClient({ ...cfg, url: dev.url });
    const cache = new ClusterCache(viaProxy);
    try {
      await cache.start();
      const watches = proxy.requests.filter(r => r.includes('watch=true'));
      expect(watches.length).toBeGreaterThan(0);
      for (const w of watches) {
        expect(w).toContain('timeoutSeconds=120');
        expect(w).toContain('allowWatchBookmarks=true');
      }
      await direct.apply(cm('default', 'one'));
      await waitFor(() => cache.get(KINDS.ConfigMap, 'default', 'one'));
      // the per-service index follows label changes
      expect(
        cache.list(KINDS.ConfigMap, 'default', 'svc').map(o => o.metadata.name),
      ).toEqual(['one']);
      await direct.apply(cm('default', 'one', 'other'));
      await waitFor(
        () => cache.list(KINDS.ConfigMap, 'default', 'other').length === 1,
      );
      expect(cache.list(KINDS.ConfigMap, 'default', 'svc')).toEqual([]);
      // The open watches stop delivering anything but stay open (no FIN, no RST): a stalled watch.
      proxy.stallOpenConnections();
      await direct.apply(cm('default', 'two'));
      // Without stall detection the cache would never see it (until the server's own watch timeout).
      await waitFor(() => cache.get(KINDS.ConfigMap, 'default', 'two'), 4000);
      expect(cache.counters().stalls).toBeGreaterThan(0);
    } finally {
      await cache.stop();
      await proxy.close();
      await dev.close();
    }
  }, 20000);

  it('watches only the configured namespaces (fusioninfer.clusters[].namespaces)', async () => {
    const dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-a', 'team-b', 'fusioninfer-system'],
    });
    const client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
      namespaces: ['team-a'],
    });
    const cache = new ClusterCache(client);
    try {
      await client.apply(cm('team-a', 'a'));
      await client.apply(cm('team-b', 'b'));
      const before = dev.api.requestCounts['list configmaps'] ?? 0;
      await cache.start();
      expect(cache.list(KINDS.ConfigMap).map(o => o.metadata.name)).toEqual([
        'a',
      ]);
      expect(cache.get(KINDS.ConfigMap, 'team-b', 'b')).toBeUndefined();
      // one namespaced list, never a cluster-wide one
      expect((dev.api.requestCounts['list configmaps'] ?? 0) - before).toBe(1);
      expect(isNamespaceAllowed(client.config, 'team-a')).toBe(true);
      expect(isNamespaceAllowed(client.config, 'team-b')).toBe(false);
      expect(isNamespaceAllowed(client, undefined)).toBe(false);
      expect(isNamespaceAllowed({ namespaces: undefined }, 'x')).toBe(true);
    } finally {
      await cache.stop();
      await dev.close();
    }
  }, 20000);
});
