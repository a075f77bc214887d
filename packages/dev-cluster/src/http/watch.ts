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
 * Watch streams: newline-delimited watch events (Table rows when asked for), bookmarks, the server-side timeout,
 * an ERROR event for a resourceVersion too old, and the injected drop after N events.
 */

import { IncomingMessage, ServerResponse } from 'http';
import { KObject, WatchEvent } from '../api';
import { ApiError, errors } from '../errors';
import { includeObjectOf, toTable, wantsTable } from '../openapi';
import { apiVersionOf, ResourceType } from '../resources';
import { FieldSelector, LabelSelector } from '../selectors';
import { ServerParts } from './types';

export function watch(
  server: ServerParts,
  req: IncomingMessage,
  res: ServerResponse,
  t: ResourceType,
  ns: string | undefined,
  q: URLSearchParams,
  labelSelector: LabelSelector,
  fieldSelector: FieldSelector,
) {
  const api = server.api;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();
  server.openWatches.add(res);
  let sent = 0;
  const dropAfter = api.faults.dropWatchAfterEvents;
  let closed = false;
  const cleanups: Array<() => void> = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of cleanups) c();
    server.openWatches.delete(res);
    res.end();
  };
  const table = wantsTable(req.headers.accept);
  const write = (e: WatchEvent) => {
    if (closed) return;
    const out =
      table && e.type !== 'BOOKMARK' && e.type !== 'ERROR'
        ? {
            type: e.type,
            object: toTable(
              t,
              [e.object as KObject],
              {
                resourceVersion: (e.object as KObject).metadata
                  ?.resourceVersion,
              },
              includeObjectOf(q),
            ),
          }
        : e;
    res.write(`${JSON.stringify(out)}\n`);
    if (e.type !== 'BOOKMARK' && dropAfter !== undefined && ++sent >= dropAfter)
      close();
  };
  try {
    const unsubscribe = api.watch(
      t,
      ns,
      {
        resourceVersion: q.get('resourceVersion') ?? undefined,
        labelSelector,
        fieldSelector,
      },
      write,
    );
    cleanups.push(unsubscribe);
  } catch (e) {
    const err = e instanceof ApiError ? e : errors.internal(String(e));
    res.write(`${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`);
    close();
    return;
  }
  const timeout = Number(q.get('timeoutSeconds') ?? 0);
  const maxSeconds =
    timeout > 0 ? timeout : 1800 + Math.floor(Math.random() * 1800);
  const timer = setTimeout(close, maxSeconds * 1000);
  cleanups.push(() => clearTimeout(timer));
  if (q.get('allowWatchBookmarks') === 'true') {
    const bm = setInterval(
      () =>
        write({
          type: 'BOOKMARK',
          object: {
            kind: t.kind,
            apiVersion: apiVersionOf(t),
            metadata: { resourceVersion: api.resourceVersion },
          },
        }),
      server.options.bookmarkIntervalMs ?? 5000,
    );
    cleanups.push(() => clearInterval(bm));
  }
  req.on('close', close);
  res.on('close', close);
}
