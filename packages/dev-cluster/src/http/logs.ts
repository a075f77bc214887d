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
 * pods/log: the container's log from the sources the simulation registers, with container, previous, tailLines,
 * sinceSeconds, timestamps and follow, and kubelet's errors for a container that is waiting or has no previous run.
 */

import { errors } from '../errors';
import { Call, LogLine } from './types';

export async function logs(
  { server, req, res }: Call,
  ns: string,
  name: string,
  q: URLSearchParams,
) {
  const api = server.api;
  const pod = api.get(api.findType('', 'v1', 'pods')!, ns, name);
  const containers: string[] = (pod.spec?.containers ?? []).map(
    (c: any) => c.name,
  );
  const container = q.get('container') ?? undefined;
  if (!container && containers.length > 1)
    throw errors.badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
    );
  const c = container ?? containers[0];
  if (!containers.includes(c))
    throw errors.badRequest(`container ${c} is not valid for pod ${name}`);
  const status = (pod.status?.containerStatuses ?? []).find(
    (s: any) => s.name === c,
  );
  const previous = q.get('previous') === 'true';
  if (
    !status ||
    (status.state?.waiting && !previous && !status.lastState?.terminated)
  ) {
    throw errors.badRequest(
      `container "${c}" in pod "${name}" is waiting to start: ${status?.state?.waiting?.reason ?? 'ContainerCreating'}`,
    );
  }
  if (previous && !status.lastState?.terminated)
    throw errors.badRequest(
      `previous terminated container "${c}" in pod "${name}" not found`,
    );
  const source = server.logSources.map(s => s(pod, c, previous)).find(Boolean);
  const timestamps = q.get('timestamps') === 'true';
  const tail =
    q.get('tailLines') !== null ? Number(q.get('tailLines')) : undefined;
  const since =
    q.get('sinceSeconds') !== null
      ? Date.now() - Number(q.get('sinceSeconds')) * 1000
      : undefined;
  const format = (l: LogLine) =>
    `${timestamps ? `${new Date(l.time).toISOString()} ` : ''}${l.text}\n`;
  let lines = (source?.lines() ?? []).filter(
    l => since === undefined || l.time >= since,
  );
  if (tail !== undefined && tail >= 0)
    lines = lines.slice(Math.max(0, lines.length - tail));
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Transfer-Encoding': 'chunked',
  });
  res.write(lines.map(format).join(''));
  if (q.get('follow') !== 'true' || !source?.follow || previous) {
    res.end();
    return;
  }
  server.openWatches.add(res);
  const stop = source.follow(
    l => res.write(format(l)),
    () => res.end(),
  );
  const done = () => {
    stop();
    server.openWatches.delete(res);
  };
  req.on('close', done);
  res.on('close', done);
}
