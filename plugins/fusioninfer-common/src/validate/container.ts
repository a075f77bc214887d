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

import { parseQuantity } from '../quantity';
import { dns1123LabelProblems } from '../names';
import { describeValue, isObj, isPortNumber, Report, trunc } from './issues';
import { RAY_HEAD_PORT } from '../constants';

/** The port the controller adds to a multi-node leader's first container (see render/workloads.ts). */
const RAY_HEAD_PORT_NAME = 'ray-head';
const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/** Problems of a container port name (Kubernetes' IANA_SVC_NAME), or an empty list. */
function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name))
    out.push(
      'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    );
  else {
    if (name.includes('--')) out.push('must not contain consecutive hyphens');
    if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
    if (name.startsWith('-') || name.endsWith('-'))
      out.push('must not begin or end with a hyphen');
  }
  return out;
}

/**
 * A container's ports as the kubelet and the LeaderWorkerSet schema take them: containerPort (and hostPort) 1–65535,
 * protocol TCP/UDP/SCTP, one entry per containerPort and protocol, names valid and unique. The multi-node leader's
 * container gets the Ray head port appended (6379/TCP, "ray-head"), so the user's may not take either.
 */
function checkPorts(
  ports: unknown[],
  base: string,
  error: Report,
  wrapped: boolean,
) {
  const keys = new Set<string>();
  const names = new Set<string>();
  ports.forEach((p, k) => {
    const pp = `${base}[${k}]`;
    if (!isObj(p)) {
      error(pp, 'must be an object with containerPort');
      return;
    }
    const portOk = isPortNumber(p.containerPort);
    if (!portOk)
      error(
        `${pp}.containerPort`,
        'Required value: an integer between 1 and 65535',
      );
    if (
      p.hostPort !== undefined &&
      p.hostPort !== 0 &&
      !isPortNumber(p.hostPort)
    )
      error(`${pp}.hostPort`, 'Invalid value: an integer between 1 and 65535');
    let protocolOk = true;
    if (
      p.protocol !== undefined &&
      !PORT_PROTOCOLS.includes(p.protocol as string)
    ) {
      protocolOk = false;
      error(
        `${pp}.protocol`,
        `Unsupported value: ${describeValue(p.protocol)}: supported values: "TCP", "UDP", "SCTP"`,
      );
    }
    if (portOk && protocolOk) {
      const protocol = (p.protocol as string | undefined) ?? 'TCP';
      const key = `${p.containerPort}/${protocol}`;
      if (keys.has(key))
        error(
          `${pp}`,
          `Duplicate value: containerPort ${p.containerPort} with protocol ${protocol} is already listed`,
        );
      else if (
        wrapped &&
        p.containerPort === RAY_HEAD_PORT &&
        protocol === 'TCP'
      )
        error(
          `${pp}.containerPort`,
          `Invalid value: ${RAY_HEAD_PORT}: a multi-node role's leader gets the Ray head port ${RAY_HEAD_PORT}/TCP from the controller; choose another port`,
        );
      keys.add(key);
    }
    if (p.name !== undefined) {
      if (typeof p.name !== 'string' || p.name.length === 0) {
        error(`${pp}.name`, 'must be a non-empty string when given');
        return;
      }
      const problems = portNameProblems(p.name);
      for (const problem of problems)
        error(`${pp}.name`, `Invalid value: "${trunc(p.name)}": ${problem}`);
      if (problems.length > 0) return;
      if (names.has(p.name))
        error(`${pp}.name`, `Duplicate value: "${p.name}"`);
      else if (wrapped && p.name === RAY_HEAD_PORT_NAME)
        error(
          `${pp}.name`,
          `Invalid value: "${RAY_HEAD_PORT_NAME}": a multi-node role's leader gets a port of this name from the controller; choose another name`,
        );
      names.add(p.name);
    }
  });
}

/** A kubelet `$(VAR)` reference (`$$(` is the kubelet's escape for a literal `$(`). */
const KUBELET_VAR_REF = /(^|[^$])(\$\$)*\$\([^)]*\)/;

/** Checks a workload role's pod template; `multiNode` when its first container is wrapped by the Ray leader. */
export function checkTemplate(
  template: unknown,
  base: string,
  multiNode: boolean,
  error: Report,
  warn: Report,
) {
  if (template === undefined) {
    error(
      base,
      'Required value: a worker, prefiller or decoder role needs a pod template with at least one container',
    );
    return;
  }
  if (!isObj(template)) return; // schema
  if (isObj(template.metadata)) {
    for (const k of ['labels', 'annotations']) {
      if (template.metadata[k] !== undefined)
        warn(
          `${base}.metadata.${k}`,
          'are not applied: only template.spec is used (pods get the fusioninfer.io labels)',
        );
    }
  }
  for (const k of Object.keys(template)) {
    if (k !== 'metadata' && k !== 'spec')
      error(
        `${base}.${k}`,
        'unknown field: a pod template has metadata and spec',
      );
  }
  const spec = template.spec;
  if (!isObj(spec)) {
    error(
      `${base}.spec`,
      'Required value: a pod spec with at least one container',
    );
    return;
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    error(
      `${base}.spec.containers`,
      'Required value: at least one container is required',
    );
  } else {
    const names = new Set<string>();
    spec.containers.forEach((c, j) =>
      checkContainer(
        c,
        `${base}.spec.containers[${j}]`,
        names,
        error,
        warn,
        multiNode && j === 0,
      ),
    );
  }
  if (spec.initContainers !== undefined) {
    if (!Array.isArray(spec.initContainers))
      error(`${base}.spec.initContainers`, 'must be a list of containers');
    else {
      const names = new Set<string>();
      spec.initContainers.forEach((c, j) =>
        checkContainer(
          c,
          `${base}.spec.initContainers[${j}]`,
          names,
          error,
          warn,
          false,
        ),
      );
    }
  }
  if (
    spec.schedulerName !== undefined &&
    typeof spec.schedulerName !== 'string'
  )
    error(`${base}.spec.schedulerName`, 'must be a string');
}

function checkContainer(
  c: unknown,
  base: string,
  names: Set<string>,
  error: Report,
  warn: Report,
  wrapped: boolean,
) {
  if (!isObj(c)) {
    error(base, 'must be a container object with a name and an image');
    return;
  }
  if (typeof c.name !== 'string' || c.name.length === 0)
    error(`${base}.name`, 'Required value: every container needs a name');
  else {
    for (const p of dns1123LabelProblems(c.name))
      error(`${base}.name`, `Invalid value: "${trunc(c.name)}": ${p}`);
    if (names.has(c.name))
      error(`${base}.name`, `Duplicate value: "${c.name}"`);
    names.add(c.name);
  }
  if (typeof c.image !== 'string' || c.image.trim().length === 0)
    error(`${base}.image`, 'Required value: every container needs an image');
  for (const k of ['command', 'args'] as const) {
    const v = c[k];
    if (
      v !== undefined &&
      !(Array.isArray(v) && v.every(x => typeof x === 'string'))
    )
      error(`${base}.${k}`, 'must be a list of strings');
  }
  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports))
      error(`${base}.ports`, 'must be a list of ports');
    else checkPorts(c.ports, `${base}.ports`, error, wrapped);
  }
  if (c.resources !== undefined) {
    if (!isObj(c.resources))
      error(
        `${base}.resources`,
        'must be an object with limits and/or requests',
      );
    else
      for (const k of ['limits', 'requests'] as const) {
        const m = c.resources[k];
        if (m === undefined) continue;
        if (!isObj(m)) {
          error(
            `${base}.resources.${k}`,
            'must be a map of resource name to quantity',
          );
          continue;
        }
        for (const [res, q] of Object.entries(m)) {
          const parsed =
            typeof q === 'string' || typeof q === 'number'
              ? parseQuantity(q)
              : undefined;
          if (!parsed)
            error(
              `${base}.resources.${k}["${res}"]`,
              `Invalid value: ${describeValue(q)}: must be a quantity such as "1", "500m" or "16Gi"`,
            );
          else if (parsed.nanos < 0n)
            error(
              `${base}.resources.${k}["${res}"]`,
              'must be greater than or equal to 0',
            );
        }
      }
  }
  if (wrapped) {
    for (const k of ['command', 'args'] as const) {
      const v = c[k];
      if (!Array.isArray(v)) continue;
      v.forEach((a, j) => {
        if (typeof a === 'string' && KUBELET_VAR_REF.test(a))
          warn(
            `${base}.${k}[${j}]`,
            'contains a $(VAR) reference: the kubelet replaces it with the value of that environment variable (ConfigMap, Secret or downward API values included) before the Ray leader starts; the value is passed to the model server as one argument and never run by the shell, but it is not validated here — make sure its source is trusted and write $$( for a literal "$("',
          );
      });
    }
    if (
      isObj(c.readinessProbe) &&
      (c.readinessProbe.httpGet || c.readinessProbe.grpc)
    ) {
      warn(
        `${base}.readinessProbe`,
        'also applies to the Ray worker pods, which only run "ray start --block" and serve nothing: they would never become ready',
      );
    }
  }
}
