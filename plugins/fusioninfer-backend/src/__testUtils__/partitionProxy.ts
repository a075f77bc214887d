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

import net from 'net';

/**
 * A TCP proxy in front of an API server that can be partitioned: while partitioned, connections (open and new) stay
 * open but no byte passes in either direction, as with a network partition; healing drops the connections that were
 * held (their requests never arrive) and forwards again.
 */
export async function startPartitionProxy(target: string) {
  const url = new URL(target);
  let partitioned = false;
  const held = new Set<net.Socket>();
  /** Connections that pass nothing any more but stay open (a stalled watch). */
  const blackholed = new Set<net.Socket>();
  /** First line of every request that went through ("GET /api/...?watch=true&... HTTP/1.1"). */
  const requests: string[] = [];
  const all = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(url.port), url.hostname);
    all.add(client);
    all.add(upstream);
    let first = true;
    client.on('data', d => {
      if (first) requests.push(d.toString('latin1').split('\r\n')[0]);
      first = false;
    });
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', d => {
        if (blackholed.has(client)) return;
        if (partitioned) {
          held.add(client);
          held.add(upstream);
          return;
        }
        to.write(d);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      all.delete(client);
      all.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Every connection open now stops passing bytes but stays open; new connections work. */
    stallOpenConnections() {
      for (const sock of all) blackholed.add(sock);
    },
    partition() {
      partitioned = true;
    },
    heal() {
      partitioned = false;
      for (const s of held) s.destroy();
      held.clear();
    },
    async close() {
      for (const s of all) s.destroy();
      await new Promise(r => server.close(r));
    },
  };
}
