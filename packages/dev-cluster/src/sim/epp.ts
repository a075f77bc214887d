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
 * The Endpoint Picker's /metrics on port 9090 (GIE pool metrics computed from the model servers of its
 * InferencePool); 401 unless the EPP runs with --metrics-endpoint-auth=false, as the real EPP.
 */

import { PodHttpResolver } from '../http';
import { isReady, SimContext } from './context';
import { eppMetricsHandler } from './servers';

export function eppResolver(ctx: SimContext): PodHttpResolver {
  return (pod, port) => {
    if (!isReady(pod)) return undefined;
    const app = String(pod.metadata.labels?.app ?? '');
    if (!app.endsWith('-epp') || port !== 9090) return undefined;
    return eppMetricsHandler(ctx.api, pod, (ns, name) => {
      const p = ctx.safe(() => ctx.api.get(ctx.podsT, ns, name));
      return p ? ctx.engines.get(p.metadata.uid) : undefined;
    });
  };
}
