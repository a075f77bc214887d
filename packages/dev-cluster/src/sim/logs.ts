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
 * Container logs of simulated pods: lines the kubelet and the model servers write as the pod starts, serves and
 * crashes, the previous attempt's log after a restart (`kubectl logs --previous`), and followers for `kubectl logs -f`.
 */

import type { KObject } from '../api';
import type { LogLine, PodLog, PodLogSource } from '../http';

const MAX_LINES = 2000;

interface ContainerLog {
  lines: LogLine[];
  previous?: LogLine[];
  /** The current attempt has exited (and is the pod's lastState until the kubelet restarts it). */
  exited?: boolean;
  followers: Set<{ onLine: (l: LogLine) => void; onEnd: () => void }>;
}

export class PodLogs {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(uid: string, container: string): ContainerLog {
    const key = `${uid}/${container}`;
    let e = this.logs.get(key);
    if (!e) {
      e = { lines: [], followers: new Set() };
      this.logs.set(key, e);
    }
    return e;
  }

  /** Appends lines to a container's current log. */
  append(pod: KObject, container: string, ...texts: string[]): void {
    const e = this.entry(pod.metadata.uid, container);
    for (const text of texts) {
      const line = { time: Date.now(), text };
      e.lines.push(line);
      for (const f of e.followers) f.onLine(line);
    }
    if (e.lines.length > MAX_LINES)
      e.lines.splice(0, e.lines.length - MAX_LINES);
  }

  /** A container restarted: its log becomes the previous one; followers of the old attempt end. */
  restart(pod: KObject, container: string): void {
    const e = this.entry(pod.metadata.uid, container);
    e.previous = e.lines;
    e.lines = [];
    e.exited = false;
    for (const f of e.followers) f.onEnd();
    e.followers.clear();
  }

  /**
   * The container's current attempt exited and waits to be restarted: like the kubelet, `previous` then reads this
   * attempt's log (it is the lastState container), as the current log does.
   */
  exited(pod: KObject, container: string): void {
    const e = this.entry(pod.metadata.uid, container);
    e.exited = true;
    for (const f of e.followers) f.onEnd();
    e.followers.clear();
  }

  /** Whether a container has written anything. */
  has(pod: KObject, container: string): boolean {
    return this.logs.has(`${pod.metadata.uid}/${container}`);
  }

  /** Forgets a deleted pod (followers end, as the stream of a deleted pod does). */
  remove(uid: string): void {
    for (const [key, e] of this.logs) {
      if (!key.startsWith(`${uid}/`)) continue;
      for (const f of e.followers) f.onEnd();
      this.logs.delete(key);
    }
  }

  readonly source: PodLogSource = (pod, container, previous) => {
    const e = this.logs.get(`${pod.metadata.uid}/${container}`);
    if (!e) return undefined;
    const log: PodLog = {
      lines: () => [...((previous && !e.exited ? e.previous : e.lines) ?? [])],
      follow: (onLine, onEnd) => {
        const f = { onLine, onEnd };
        e.followers.add(f);
        return () => {
          e.followers.delete(f);
        };
      },
    };
    return log;
  };
}
