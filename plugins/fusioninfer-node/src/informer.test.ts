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

import { PassThrough } from 'stream';
import { KubeObject } from '@fusioninfer/plugin-fusioninfer-common';
import { CacheInformer, InformerTransport } from './informer';

const obj = (
  name: string,
  rv: string,
  extra: Record<string, unknown> = {},
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion: rv,
      labels: { svc: 'a' },
      annotations: { big: 'x'.repeat(1000) },
      managedFields: [{ manager: 'kubectl' }],
    },
    data: { a: '1' },
    ...extra,
  }) as KubeObject;

/** A transport with one list page and one watch stream the test writes events into. */
function fakeTransport(items: KubeObject[]) {
  const streams: PassThrough[] = [];
  const transport: InformerTransport = {
    listPage: async () => ({ items, resourceVersion: '10' }),
    openWatch: async (_path, _query, signal) => {
      const s = new PassThrough();
      signal.addEventListener('abort', () => s.destroy());
      streams.push(s);
      return s;
    },
  };
  const send = (type: string, object: KubeObject) =>
    streams[streams.length - 1].write(`${JSON.stringify({ type, object })}\n`);
  return { transport, streams, send };
}

const until = async (f: () => unknown, ms = 2000) => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 5));
  }
};

describe('CacheInformer', () => {
  it('keeps what the transform returns, for listed and watched objects, and passes that to the filter and the listeners', async () => {
    const { transport, streams, send } = fakeTransport([
      obj('one', '1'),
      obj('skip', '2'),
    ]);
    const filtered: KubeObject[] = [];
    const inf = new CacheInformer(transport, '/api/v1/configmaps', undefined, {
      indexLabel: 'svc',
      transform: o => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: {
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          resourceVersion: o.metadata.resourceVersion,
          labels: o.metadata.labels,
        },
      }),
      filter: o => {
        filtered.push(o);
        return o.metadata.name !== 'skip';
      },
    });
    const seen: KubeObject[] = [];
    inf.on('add', o => seen.push(o));
    inf.on('update', o => seen.push(o));
    try {
      await inf.start();
      await until(() => streams.length === 1);
      send('ADDED', obj('two', '11'));
      send('MODIFIED', obj('one', '12'));
      await until(() => seen.length === 3);
      const expected = (name: string, rv: string) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace: 'ns',
          resourceVersion: rv,
          labels: { svc: 'a' },
        },
      });
      expect(inf.get('one', 'ns')).toEqual(expected('one', '12'));
      expect(inf.get('two', 'ns')).toEqual(expected('two', '11'));
      expect(inf.get('skip', 'ns')).toBeUndefined();
      expect(
        inf
          .byLabel('ns', 'a')
          .map(o => o.metadata.name)
          .sort(),
      ).toEqual(['one', 'two']);
      // the filter and the listeners never see annotations, data or managedFields
      for (const o of [...filtered, ...seen, ...inf.list()]) {
        expect(o.metadata.annotations).toBeUndefined();
        expect(o.metadata.managedFields).toBeUndefined();
        expect((o as { data?: unknown }).data).toBeUndefined();
      }
    } finally {
      await inf.stop();
    }
  });

  it('evicts an object on request (delete to the listeners) and takes it back from a later watch event', async () => {
    const { transport, streams, send } = fakeTransport([obj('one', '1')]);
    const inf = new CacheInformer(transport, '/api/v1/configmaps', undefined, {
      indexLabel: 'svc',
    });
    const deleted: string[] = [];
    inf.on('delete', o => deleted.push(o.metadata.name!));
    try {
      await inf.start();
      await until(() => streams.length === 1);
      expect(inf.evict('one', 'ns')).toBe(true);
      expect(inf.evict('one', 'ns')).toBe(false);
      expect(deleted).toEqual(['one']);
      expect(inf.list()).toEqual([]);
      expect(inf.byLabel('ns', 'a')).toEqual([]);
      send('MODIFIED', obj('one', '2'));
      await until(() => inf.get('one', 'ns'));
      expect(inf.byLabel('ns', 'a').map(o => o.metadata.name)).toEqual(['one']);
      // managedFields are still dropped without a transform
      expect(inf.get('one', 'ns')!.metadata.managedFields).toBeUndefined();
    } finally {
      await inf.stop();
    }
  });
});
