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
  INFERENCE_SERVICE_API_VERSION,
  INFERENCE_SERVICE_KIND,
} from '../constants';
import { ENTITY_REF_ANNOTATION } from '../entity';
// The InferenceService of the result is the main entry point's type: imported by package name, the `./builder`
// entry point refers to it there instead of having to export it (and every type it names) a second time.
import type { InferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import type { Container, Role } from '../types';
import { validateInferenceService } from '../validate';
import {
  DeploymentParameters,
  deploymentParametersSchema,
  RoleParameters,
} from './parameters';

/** Annotation naming the owner of a service (read by the catalog module). @public */
export const OWNER_ANNOTATION = 'fusioninfer.io/owner';

/** One problem, with the path of the field it is about. @public */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Outcome of {@link buildInferenceService}. @public */
export type BuildResult =
  | {
      ok: true;
      manifest: InferenceService;
      parameters: DeploymentParameters;
      warnings: FieldIssue[];
    }
  | { ok: false; errors: FieldIssue[]; warnings: FieldIssue[] };

const KNOWN = new Set(
  Object.keys(deploymentParametersSchema._def.schema.shape),
);

/** `a.b[0].c` from a zod path. @internal */
export function formatPath(prefix: string, path: (string | number)[]) {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

function flag(style: 'separate' | 'equals', name: string, value: string) {
  return style === 'equals' ? [`${name}=${value}`] : [name, value];
}

function roleArgs(
  p: DeploymentParameters,
  role: RoleParameters,
  kvRole?: 'kv_producer' | 'kv_consumer' | 'kv_both',
): string[] {
  const args = [...flag(p.argStyle, '--model', p.model)];
  if (role.tensorParallelSize !== undefined)
    args.push(
      ...flag(
        p.argStyle,
        '--tensor-parallel-size',
        String(role.tensorParallelSize),
      ),
    );
  if (p.kvTransfer && kvRole)
    args.push(
      ...flag(
        p.argStyle,
        '--kv-transfer-config',
        JSON.stringify({
          kv_connector: p.kvTransfer.connector,
          kv_role: kvRole,
        }),
      ),
    );
  if (p.loraAdapters?.length)
    args.push(
      '--enable-lora',
      '--lora-modules',
      ...p.loraAdapters.map(a => `${a.name}=${a.path}`),
    );
  args.push(...(role.extraArgs ?? []));
  return args;
}

function workloadRole(
  p: DeploymentParameters,
  role: RoleParameters,
  defaults: {
    name: string;
    componentType: 'worker' | 'prefiller' | 'decoder';
    kvRole?: 'kv_producer' | 'kv_consumer' | 'kv_both';
  },
): Role {
  const container: Container = {
    name: role.containerName ?? 'vllm',
    image: p.image,
    args: roleArgs(p, role, defaults.kvRole),
  };
  if (p.exposeHttpPort)
    container.ports = [{ containerPort: 8000, name: 'http' }];
  if (role.gpusPerPod > 0)
    container.resources = {
      limits: { [p.gpuResource]: String(role.gpusPerPod) },
    };
  if (p.sharedMemory)
    container.volumeMounts = [{ name: 'shm', mountPath: '/dev/shm' }];
  const out: Role = {
    name: role.name ?? defaults.name,
    componentType: defaults.componentType,
    replicas: role.replicas,
  };
  if (role.nodeCount !== undefined && role.nodeCount > 1)
    out.multinode = { nodeCount: role.nodeCount };
  out.template = {
    spec: {
      containers: [container],
      ...(p.sharedMemory
        ? {
            volumes: [
              {
                name: 'shm',
                emptyDir: { medium: 'Memory', sizeLimit: p.sharedMemory },
              },
            ],
          }
        : {}),
    },
  };
  return out;
}

/** Maps a manifest path (validation) back to the form field it comes from, when there is one. */
function fieldOf(
  p: DeploymentParameters,
  path: string,
  message = '',
): string | undefined {
  // Child names are built from the service name first: a name that is too long is the form's name field.
  if (
    path === 'metadata.name' ||
    /LeaderWorkerSet name|child name/.test(message)
  )
    return 'name';
  if (path.startsWith('metadata.namespace')) return 'namespace';
  const m = /^spec\.roles\[(\d+)\](.*)$/.exec(path);
  if (!m) return undefined;
  const keys: string[] = [];
  if (p.routing !== 'none') keys.push('routerName');
  if (p.topology === 'pd' || p.topology === 'pd-multi-node')
    keys.push('prefill', 'decode');
  else keys.push('worker');
  const key = keys[Number(m[1])];
  if (!key) return undefined;
  if (key === 'routerName') {
    if (m[2].startsWith('.endpointPickerConfig')) return 'endpointPickerConfig';
    if (m[2].startsWith('.httproute')) return 'gateway';
    if (m[2].startsWith('.strategy')) return 'routing';
    return 'routerName';
  }
  if (m[2].startsWith('.replicas')) return `${key}.replicas`;
  if (m[2].startsWith('.multinode')) return `${key}.nodeCount`;
  if (m[2].startsWith('.name')) return `${key}.name`;
  return key;
}

/**
 * Builds the InferenceService a deployment form describes and validates it. Every problem is reported at once: form
 * errors with their parameter path (`parameters.decode.replicas`), then manifest errors with the manifest path and,
 * where one exists, the form field they come from. Never throws.
 * @public
 */
export function buildInferenceService(
  input: unknown,
  options: { prefix?: string } = {},
): BuildResult {
  const prefix = options.prefix ?? 'parameters';
  const parsed = deploymentParametersSchema.safeParse(input);
  const warnings: FieldIssue[] = [];
  if (!parsed.success) {
    return {
      ok: false,
      warnings,
      errors: parsed.error.issues.map(i => ({
        path: formatPath(prefix, i.path),
        message: i.message,
      })),
    };
  }
  const p = parsed.data as DeploymentParameters;
  for (const key of Object.keys(p))
    if (!KNOWN.has(key))
      warnings.push({
        path: formatPath(prefix, [key]),
        message: 'not a deployment parameter; ignored',
      });
  // Settings the chosen topology or routing does not use (a form keeps them when the user switches): ignored.
  const pd = p.topology === 'pd' || p.topology === 'pd-multi-node';
  const unused: Array<[string, string]> = [];
  if (pd)
    unused.push(['worker', `the ${p.topology} topology has no worker role`]);
  else
    unused.push(
      ['prefill', `the ${p.topology} topology has no prefill role`],
      ['decode', `the ${p.topology} topology has no decode role`],
      ['kvTransfer', 'only P/D topologies transfer the KV cache'],
    );
  if (p.routing === 'none')
    unused.push(
      ['routerName', 'routing is none'],
      ['gateway', 'routing is none'],
      ['hostnames', 'routing is none'],
    );
  if (p.routing !== 'custom')
    unused.push(['endpointPickerConfig', 'routing is not custom']);
  for (const [key, why] of unused)
    if ((p as Record<string, unknown>)[key] !== undefined)
      warnings.push({
        path: formatPath(prefix, [key]),
        message: `ignored: ${why}`,
      });

  const roles: Role[] = [];
  if (p.routing !== 'none') {
    const router: Role = {
      name: p.routerName ?? 'router',
      componentType: 'router',
    };
    if (p.routing === 'custom')
      router.endpointPickerConfig = p.endpointPickerConfig;
    else router.strategy = p.routing;
    if (p.gateway?.name) {
      router.httproute = {
        parentRefs: [
          {
            name: p.gateway.name,
            ...(p.gateway.namespace ? { namespace: p.gateway.namespace } : {}),
          },
        ],
        ...(p.hostnames?.length ? { hostnames: [...p.hostnames] } : {}),
      };
    }
    roles.push(router);
  }
  if (p.topology === 'pd' || p.topology === 'pd-multi-node') {
    const both = p.kvTransfer?.roles === 'both';
    roles.push(
      workloadRole(p, p.prefill!, {
        name: 'prefill',
        componentType: 'prefiller',
        kvRole: both ? 'kv_both' : 'kv_producer',
      }),
      workloadRole(p, p.decode!, {
        name: 'decode',
        componentType: 'decoder',
        kvRole: both ? 'kv_both' : 'kv_consumer',
      }),
    );
  } else {
    roles.push(
      workloadRole(p, p.worker!, {
        name: 'inference',
        componentType: 'worker',
      }),
    );
  }

  const annotations: Record<string, string> = {};
  if (p.owner) annotations[OWNER_ANNOTATION] = p.owner;
  if (p.entityRef) annotations[ENTITY_REF_ANNOTATION] = p.entityRef;
  const manifest: InferenceService = {
    apiVersion: INFERENCE_SERVICE_API_VERSION as 'fusioninfer.io/v1alpha1',
    kind: INFERENCE_SERVICE_KIND as 'InferenceService',
    metadata: {
      name: p.name,
      ...(p.namespace ? { namespace: p.namespace } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: { roles },
  };

  if (p.routing === 'lora-affinity' && !p.loraAdapters?.length)
    warnings.push({
      path: formatPath(prefix, ['routing']),
      message:
        'lora-affinity routes by LoRA adapter; without loraAdapters it behaves like queue-size',
    });
  for (const key of ['worker', 'prefill', 'decode'] as const)
    (p[key]?.extraArgs ?? []).forEach((a, i) => {
      if (/^--\S+\s/.test(a))
        warnings.push({
          path: formatPath(prefix, [key, 'extraArgs', i]),
          message: `contains a space: the engine receives "${a}" as one argument, not as a flag and its value; give the value as the next item`,
        });
    });

  const validation = validateInferenceService(manifest);
  for (const w of validation.warnings) {
    const field = fieldOf(p, w.path, w.message);
    warnings.push({
      path: field ? formatPath(prefix, [field]) : `manifest.${w.path}`,
      message: field ? `${w.message} (manifest ${w.path})` : w.message,
    });
  }
  if (!validation.valid) {
    return {
      ok: false,
      warnings,
      errors: validation.errors.map(e => {
        const field = fieldOf(p, e.path, e.message);
        return {
          path: field ? `${prefix}.${field}` : `manifest.${e.path}`,
          message: field ? `${e.message} (manifest ${e.path})` : e.message,
        };
      }),
    };
  }
  return { ok: true, manifest, parameters: p, warnings };
}
