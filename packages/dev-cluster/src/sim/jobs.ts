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
 * The Job controller: up to `parallelism` pods at a time (labelled job-name and controller-uid as the real controller
 * does) until `completions` succeeded, then the SuccessCriteriaMet and Complete conditions; `suspend` stops creating.
 */

import { randomBytes } from 'crypto';
import {
  FIELD_MANAGER,
  indexPods,
  isReady,
  nowIso,
  ownerRef,
  SimContext,
} from './context';

export function reconcileJobs(ctx: SimContext): void {
  const { api, podsT, safe, setStatus } = ctx;
  const jobT = api.findType('batch', 'v1', 'jobs');
  if (!jobT) return;
  const index = indexPods(api.scan(podsT));
  for (const job of api.scan(jobT)) {
    if (job.metadata.deletionTimestamp) continue;
    const conds: any[] = job.status?.conditions ?? [];
    if (conds.some(c => c.type === 'Complete' && c.status === 'True')) continue;
    const ns = job.metadata.namespace;
    const completions = job.spec?.completions ?? 1;
    const parallelism = job.spec?.parallelism ?? 1;
    const pods = index.owned(job.metadata.uid);
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter(p => p.status?.phase === 'Failed').length;
    const active = pods.filter(
      p => !['Succeeded', 'Failed'].includes(p.status?.phase),
    );
    const want = Math.min(parallelism, completions - succeeded) - active.length;
    const labels = {
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': job.metadata.uid,
      'job-name': job.metadata.name,
    };
    for (let i = 0; i < want && !job.spec?.suspend; i++) {
      if (!ctx.spend()) break;
      safe(() =>
        api.create(
          podsT,
          ns,
          {
            metadata: {
              name: `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
              namespace: ns,
              labels: {
                ...(job.spec?.template?.metadata?.labels ?? {}),
                ...labels,
              },
              ownerReferences: [ownerRef(job)],
            },
            spec: structuredClone(
              job.spec?.template?.spec ?? { containers: [] },
            ),
          },
          { fieldManager: FIELD_MANAGER },
        ),
      );
    }
    const done = succeeded >= completions;
    const now = nowIso();
    setStatus(jobT, job, {
      ...(job.status?.startTime || pods.length
        ? { startTime: job.status?.startTime ?? now }
        : {}),
      ...(active.length ? { active: active.length } : {}),
      ...(succeeded ? { succeeded } : {}),
      ...(failed ? { failed } : {}),
      ready: active.filter(isReady).length,
      terminating: 0,
      uncountedTerminatedPods: {},
      ...(done
        ? {
            completionTime: job.status?.completionTime ?? now,
            conditions: [
              {
                type: 'SuccessCriteriaMet',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
                lastProbeTime: now,
                lastTransitionTime: now,
              },
              {
                type: 'Complete',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
                lastProbeTime: now,
                lastTransitionTime: now,
              },
            ],
          }
        : {}),
    });
    if (done)
      ctx.event(job, 'Normal', 'Completed', 'Job completed', 'job-controller');
  }
}
