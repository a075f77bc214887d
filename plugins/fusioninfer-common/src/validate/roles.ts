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
  childNames,
  dns1035LabelProblems,
  dns1123LabelProblems,
  MAX_LWS_NAME_LENGTH,
} from '../names';
import { checkTemplate } from './container';
import { isObj, Report, trunc } from './issues';
import { checkRouter } from './router';

/**
 * Checks `spec.roles` beyond the schema: router and workload counts, names (unique, and the child names they make
 * must fit), what each kind of role ignores, then routers and pod templates.
 */
export function checkRoles(
  specRoles: unknown[],
  svc: string,
  error: Report,
  warn: Report,
): void {
  const roles = specRoles.map(r => (isObj(r) ? r : {}));
  const typeOf = (r: Record<string, unknown>) =>
    typeof r.componentType === 'string' ? r.componentType : '';
  const routers = roles
    .map((r, i) => [r, i] as const)
    .filter(([r]) => typeOf(r) === 'router');
  const workloads = roles
    .map((r, i) => [r, i] as const)
    .filter(([r]) => ['worker', 'prefiller', 'decoder'].includes(typeOf(r)));
  const pd =
    roles.some(r => typeOf(r) === 'prefiller') &&
    roles.some(r => typeOf(r) === 'decoder');

  if (routers.length > 1) {
    for (const [, i] of routers.slice(1)) {
      error(
        `spec.roles[${i}].componentType`,
        `at most one role may be a router; "${routers[0][0].name}" already is (two routers would fight over the same ${svc || '{name}'}-epp objects)`,
      );
    }
  }
  if (routers.length > 0 && workloads.length === 0) {
    error(
      'spec.roles',
      'a router needs at least one worker, prefiller or decoder role to route to',
    );
  } else if (workloads.length === 0 && roles.length > 0) {
    error(
      'spec.roles',
      'at least one worker, prefiller or decoder role is required: nothing would be deployed',
    );
  }
  if (svc && routers.length > 0 && `${svc}-epp`.length > 63) {
    error(
      'metadata.name',
      `must be at most 59 characters when the service has a router: the EPP Deployment's label app=${trunc(svc)}-epp must fit 63 characters`,
    );
  }

  const seen = new Map<string, number>();
  roles.forEach((role, i) => {
    const base = `spec.roles[${i}]`;
    const name = typeof role.name === 'string' ? role.name : undefined;
    if (name !== undefined) {
      for (const p of dns1123LabelProblems(name))
        error(
          `${base}.name`,
          `Invalid value: "${trunc(name)}": ${p} (the role name becomes part of child names and label values)`,
        );
      if (seen.has(name))
        error(
          `${base}.name`,
          `Duplicate value: "${name}": role names must be unique (also used by spec.roles[${seen.get(name)}])`,
        );
      else seen.set(name, i);
    }
    const type = typeOf(role);
    const isRouter = type === 'router';
    const isWorkload = ['worker', 'prefiller', 'decoder'].includes(type);

    if (isRouter) {
      for (const f of ['replicas', 'multinode', 'template'] as const) {
        if (role[f] !== undefined)
          warn(
            `${base}.${f}`,
            'is ignored on a router role: the router runs one EPP replica with a fixed pod template',
          );
      }
      checkRouter(role, base, pd, error, warn);
    } else {
      for (const f of [
        'strategy',
        'endpointPickerConfig',
        'httproute',
        'gateway',
      ] as const) {
        if (role[f] !== undefined)
          warn(
            `${base}.${f}`,
            `is ignored on a ${type || 'non-router'} role: it only applies to the router role`,
          );
      }
    }
    if (!isWorkload) return;

    // Upper bounds of replicas and nodeCount: see limits.ts (checked before this).
    const replicas = typeof role.replicas === 'number' ? role.replicas : 1;
    const nodeCount =
      isObj(role.multinode) && typeof role.multinode.nodeCount === 'number'
        ? role.multinode.nodeCount
        : 1;

    if (svc && name) {
      const longest = childNames.lws(
        svc,
        name,
        Math.max(0, Math.trunc(replicas) - 1),
      );
      if (longest.length > MAX_LWS_NAME_LENGTH) {
        error(
          `${base}.name`,
          `the LeaderWorkerSet name "${trunc(longest)}" (${longest.length} characters) would be longer than ${MAX_LWS_NAME_LENGTH}: its StatefulSet's controller-revision-hash label would exceed 63 characters; shorten metadata.name or the role name`,
        );
      }
      for (const p of dns1035LabelProblems(longest.slice(0, 63))) {
        error(
          `${base}.name`,
          `the LeaderWorkerSet name "${trunc(longest)}" is not a valid Service name: ${p}`,
        );
      }
    }
    checkTemplate(
      role.template,
      `${base}.template`,
      nodeCount >= 2,
      error,
      warn,
    );
    if (pd && type === 'worker' && nodeCount >= 2) {
      warn(
        `${base}.multinode`,
        'a multi-node worker role in a prefill/decode service is not gang-scheduled (upstream rule): its pods may start partially',
      );
    }
  });
}
