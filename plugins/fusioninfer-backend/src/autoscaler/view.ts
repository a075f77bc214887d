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

import {
  AUTOSCALING_ANNOTATION,
  AUTOSCALING_SIGNALS,
  AutoscalingResponse,
  InferenceService,
  readAutoscalingPolicies,
} from '@fusioninfer/plugin-fusioninfer-common';
import { AutoscalerApprovals } from './Autoscaler';
import { AutoscalerStore } from './AutoscalerStore';

/** What `GET …/autoscaling` needs: the autoscaler's settings and records (absent store: not running here). */
export interface AutoscalingViewOptions {
  enabled: boolean;
  intervalMs: number;
  store?: AutoscalerStore;
  approvals?: AutoscalerApprovals;
  now?: () => number;
}

/**
 * The autoscaling of one service as a reader sees it: the owners' policy on the service now, the replicas now, and the
 * last decision the leading instance recorded (with what blocked it and what it did). Any instance answers it from
 * the database; a decision older than three intervals is reported as such.
 */
export async function autoscalingView(
  o: AutoscalingViewOptions,
  cluster: string,
  isvc: InferenceService,
): Promise<AutoscalingResponse> {
  const ns = isvc.metadata.namespace!;
  const name = isvc.metadata.name!;
  const read = readAutoscalingPolicies(isvc);
  const stored = read.annotated
    ? await o.store?.get(cluster, ns, name)
    : undefined;
  const record =
    stored && stored.uid === isvc.metadata.uid ? stored : undefined;
  const now = (o.now ?? Date.now)();
  const every = `every ${Math.round(o.intervalMs / 1000)} s`;
  let autoscaler: AutoscalingResponse['autoscaler'];
  if (!o.enabled)
    autoscaler = {
      enabled: false,
      intervalSeconds: o.intervalMs / 1000,
      state: 'disabled',
      message:
        'the autoscaler is turned off (fusioninfer.autoscaler.enabled: false): nothing is decided',
    };
  else if (!record)
    autoscaler = {
      enabled: true,
      intervalSeconds: o.intervalMs / 1000,
      state: 'waiting',
      message: read.annotated
        ? `no decision yet: the backend instance leading cluster ${cluster} (its reconciler) decides ${every}`
        : `the service has no ${AUTOSCALING_ANNOTATION} annotation: nothing autoscales`,
    };
  else {
    const age = now - Date.parse(record.decidedAt);
    autoscaler =
      age <= 3 * o.intervalMs
        ? {
            enabled: true,
            intervalSeconds: o.intervalMs / 1000,
            state: 'deciding',
          }
        : {
            enabled: true,
            intervalSeconds: o.intervalMs / 1000,
            state: 'waiting',
            message: `the last decision is ${Math.round(age / 1000)} s old (decided ${every}): no backend instance leads cluster ${cluster} now, or its reconciler is off`,
          };
  }
  const specRoles = isvc.spec.roles ?? [];
  const roles: AutoscalingResponse['roles'] = [];
  for (const r of specRoles) {
    const p = read.policies[r.name];
    if (!p) continue;
    const d = record?.roles.find(x => x.role === r.name);
    const change = record?.state[r.name]?.lastChange;
    const action = record?.actions[r.name];
    const sig = AUTOSCALING_SIGNALS[p.signal];
    roles.push({
      role: r.name,
      mode: p.mode,
      signal: p.signal,
      metric: sig.metric,
      unit: sig.unit,
      ...(d?.value !== undefined ? { value: d.value } : {}),
      target: p.target,
      minReplicas: p.minReplicas,
      maxReplicas: p.maxReplicas,
      actual: Number.isInteger(r.replicas) ? r.replicas! : 1,
      ...(d?.desired !== undefined ? { desired: d.desired } : {}),
      ...(d ? { recommendation: d.recommendation, next: d.next } : {}),
      blockedBy: d?.blockedBy ?? [],
      summary: d?.summary ?? 'not decided yet',
      ...(change
        ? {
            lastChange: {
              at: new Date(change.at).toISOString(),
              from: change.from,
              to: change.to,
            },
          }
        : {}),
      ...(action ? { lastAction: action } : {}),
    });
  }
  const latest = read.annotated
    ? await o.approvals?.latest(cluster, ns, name)
    : undefined;
  return {
    cluster,
    namespace: ns,
    name,
    annotated: read.annotated,
    issues: read.issues,
    autoscaler,
    ...(record ? { decidedAt: record.decidedAt } : {}),
    ...(read.pdRatio
      ? { pdRatio: `${read.pdRatio.prefillPart}:${read.pdRatio.decodePart}` }
      : {}),
    roles,
    ...(latest
      ? {
          approval: {
            id: latest.id,
            status: latest.status,
            requestedAt: latest.requestedAt,
          },
        }
      : {}),
  };
}
