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
 * The template parameters of a deployment ("Deploy an LLM" / "Publish to GitOps") as one zod schema. The same schema
 * is the `parameters` input of `fusioninfer:service:render` (the scaffolder checks it before the step runs) and is
 * checked again by the builder, so a caller that bypasses the scaffolder still gets every field error by path.
 */

import { z } from 'zod/v3';
import { ROUTING_STRATEGIES } from '../constants';
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_PATTERN } from '../names';

/** Upper bounds a self-service form accepts (a platform team raises them by writing the manifest itself). @public */
export const DEPLOYMENT_PARAMETER_LIMITS = {
  replicas: 100,
  nodeCount: 64,
  gpusPerPod: 16,
  tensorParallelSize: 1024,
  totalPods: 2048,
  extraArgs: 64,
  argLength: 1024,
  loraAdapters: 32,
  hostnames: 16,
  eppConfigBytes: 64 * 1024,
} as const;

/** Topologies the templates offer. @public */
export const TOPOLOGIES = [
  'monolithic',
  'multi-node',
  'pd',
  'pd-multi-node',
] as const;

/** `none`, one of the five routing strategies, or `custom` (an EndpointPickerConfig). @public */
export const ROUTING_CHOICES = [
  'none',
  ...ROUTING_STRATEGIES,
  'custom',
] as const;

/** KV-cache transfer connectors vLLM ships for P/D disaggregation. @public */
export const KV_CONNECTORS = [
  'PyNcclConnector',
  'P2pNcclConnector',
  'NixlConnector',
  'LMCacheConnectorV1',
] as const;

/** A Hugging Face id (`org/name`, optionally `@revision`) or an absolute path; never a flag, never shell syntax. */
const MODEL = /^(\/|[A-Za-z0-9])[A-Za-z0-9._\-/:@+]*$/;
/** An OCI image reference: registry/repo[:tag][@sha256:digest]. */
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** Characters a shell (or a `/bin/sh -c` line) would interpret; never accepted in a form argument. */
// eslint-disable-next-line no-control-regex
const SHELL_META = /[`$;&|<>\\\u0000-\u001f\u007f]/;
const HOSTNAME =
  /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENTITY_REF = /^[a-zA-Z0-9_-]+:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_.-]+$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const RESOURCE_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;

const dnsLabel = (what: string, max = 63) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      DNS1123_LABEL_PATTERN,
      `${what} must be a lower-case DNS-1123 label (letters, digits and '-', starting and ending with a letter or digit)`,
    );

const argument = z
  .string()
  .min(1)
  .max(DEPLOYMENT_PARAMETER_LIMITS.argLength)
  .refine(s => !SHELL_META.test(s), {
    message:
      'must not contain shell metacharacters or control characters (` $ ; & | < > \\, newlines)',
  });

/** One workload role of the form (worker, prefill or decode). @public */
export const roleParametersSchema = z
  .object({
    name: dnsLabel('a role name').optional().describe('Role name'),
    containerName: dnsLabel('a container name')
      .optional()
      .describe('Container name (default vllm)'),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(DEPLOYMENT_PARAMETER_LIMITS.replicas)
      .default(1)
      .describe('Replicas (model instances)'),
    nodeCount: z
      .number()
      .int()
      .min(1)
      .max(DEPLOYMENT_PARAMETER_LIMITS.nodeCount)
      .optional()
      .describe('Pods per replica (multi-node: Ray on a LeaderWorkerSet)'),
    gpusPerPod: z
      .number()
      .int()
      .min(0)
      .max(DEPLOYMENT_PARAMETER_LIMITS.gpusPerPod)
      .default(1)
      .describe('GPUs per pod (0: no accelerator request)'),
    tensorParallelSize: z
      .number()
      .int()
      .min(1)
      .max(DEPLOYMENT_PARAMETER_LIMITS.tensorParallelSize)
      .optional()
      .describe('--tensor-parallel-size'),
    extraArgs: z
      .array(argument)
      .max(DEPLOYMENT_PARAMETER_LIMITS.extraArgs)
      .optional()
      .describe('More engine arguments, one per item (no shell syntax)'),
  })
  .strict();

/** The form of the deployment templates. @public */
export const deploymentParametersSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(
        DNS1035_LABEL_PATTERN,
        "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter",
      )
      .describe('Service name (InferenceService metadata.name)'),
    namespace: dnsLabel('a namespace').optional().describe('Namespace'),
    cluster: dnsLabel('a cluster name')
      .optional()
      .describe('A name from fusioninfer.clusters'),
    owner: z
      .string()
      .max(253)
      .regex(ENTITY_REF, 'must be an entity reference such as group:default/ml')
      .optional()
      .describe('Owner of the service (fusioninfer.io/owner annotation)'),
    entityRef: z
      .string()
      .max(253)
      .regex(
        ENTITY_REF,
        'must be an entity reference such as component:default/chat',
      )
      .optional()
      .describe(
        'Existing catalog entity the service belongs to (backstage.io/entity-ref); none: the catalog generates one',
      ),
    model: z
      .string()
      .min(1)
      .max(256)
      .regex(
        MODEL,
        "must be a model id such as Qwen/Qwen3-8B or an absolute path; letters, digits and . _ - / : @ + only (no spaces, quotes or shell syntax, not starting with '-')",
      )
      .describe('Model (Hugging Face id or path inside the container)'),
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(
        IMAGE,
        'must be an image reference such as vllm/vllm-openai:v0.27.1',
      )
      .describe('Engine image'),
    argStyle: z
      .enum(['separate', 'equals'])
      .default('separate')
      .describe(
        'separate: ["--model", "X"]; equals: ["--model=X"] (both are what vLLM accepts)',
      ),
    exposeHttpPort: z
      .boolean()
      .default(false)
      .describe('Declare containerPort 8000 named http'),
    sharedMemory: z
      .string()
      .regex(QUANTITY, 'must be a quantity such as 10Gi')
      .optional()
      .describe('Size of a memory-backed /dev/shm (NCCL needs it across GPUs)'),
    gpuResource: z
      .string()
      .max(253)
      .regex(RESOURCE_NAME, 'must be a resource name such as nvidia.com/gpu')
      .default('nvidia.com/gpu')
      .describe('Accelerator resource name'),
    topology: z.enum(TOPOLOGIES).describe('Serving topology'),
    worker: roleParametersSchema
      .optional()
      .describe('Monolithic and multi-node: the worker role'),
    prefill: roleParametersSchema.optional().describe('P/D: the prefill role'),
    decode: roleParametersSchema.optional().describe('P/D: the decode role'),
    kvTransfer: z
      .object({
        connector: z.enum(KV_CONNECTORS),
        roles: z
          .enum(['producer-consumer', 'both'])
          .default('producer-consumer')
          .describe(
            'producer-consumer: prefill kv_producer, decode kv_consumer; both: kv_both on each',
          ),
      })
      .strict()
      .optional()
      .describe('P/D: --kv-transfer-config of both roles'),
    loraAdapters: z
      .array(
        z
          .object({
            name: z
              .string()
              .min(1)
              .max(128)
              .regex(
                /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
                'letters, digits, . _ - only',
              ),
            path: z
              .string()
              .min(1)
              .max(256)
              .regex(MODEL, 'must be a Hugging Face id or an absolute path'),
          })
          .strict(),
      )
      .max(DEPLOYMENT_PARAMETER_LIMITS.loraAdapters)
      .optional()
      .describe('LoRA adapters served beside the base model (--lora-modules)'),
    routing: z
      .enum(ROUTING_CHOICES)
      .default('none')
      .describe(
        'none (no router), a routing strategy, or custom (endpointPickerConfig)',
      ),
    routerName: dnsLabel('a role name')
      .optional()
      .describe('Router role name (default router)'),
    endpointPickerConfig: z
      .string()
      .min(1)
      .max(DEPLOYMENT_PARAMETER_LIMITS.eppConfigBytes)
      .optional()
      .describe('custom routing: the EndpointPickerConfig YAML'),
    gateway: z
      .object({
        name: z
          .string()
          .min(1)
          .max(253)
          .regex(
            /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
            'must be a Gateway name (DNS-1123 subdomain)',
          )
          .optional()
          .describe('No name: no HTTPRoute'),
        namespace: dnsLabel('a namespace').optional(),
      })
      .strict()
      .optional()
      .describe('Gateway the HTTPRoute attaches to'),
    hostnames: z
      .array(
        z
          .string()
          .max(253)
          .regex(HOSTNAME, 'must be a host name such as llm.example.com'),
      )
      .max(DEPLOYMENT_PARAMETER_LIMITS.hostnames)
      .optional()
      .describe('HTTPRoute host names'),
  })
  // Other keys (form-only fields such as the preview) pass; the builder reports them as ignored.
  .passthrough()
  .superRefine((p, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    const pd = p.topology === 'pd' || p.topology === 'pd-multi-node';
    const multi = p.topology === 'multi-node' || p.topology === 'pd-multi-node';
    const roles: Array<['worker' | 'prefill' | 'decode', typeof p.worker]> = pd
      ? [
          ['prefill', p.prefill],
          ['decode', p.decode],
        ]
      : [['worker', p.worker]];
    for (const [key, role] of roles) {
      if (!role) {
        issue([key], `required for the ${p.topology} topology`);
        continue;
      }
      const nodes = role.nodeCount ?? 1;
      if (!multi && nodes !== 1)
        issue(
          [key, 'nodeCount'],
          `must be 1 for the ${p.topology} topology (choose ${pd ? 'pd-multi-node' : 'multi-node'} for several pods per replica)`,
        );
      if (p.topology === 'multi-node' && nodes < 2)
        issue(
          [key, 'nodeCount'],
          'must be at least 2 for the multi-node topology',
        );
    }
    if (
      p.topology === 'pd-multi-node' &&
      p.prefill &&
      p.decode &&
      (p.prefill.nodeCount ?? 1) < 2 &&
      (p.decode.nodeCount ?? 1) < 2
    )
      issue(
        ['decode', 'nodeCount'],
        'the pd-multi-node topology needs nodeCount of at least 2 on prefill or decode',
      );
    if (pd && p.prefill && p.decode) {
      const names = [p.prefill.name ?? 'prefill', p.decode.name ?? 'decode'];
      if (names[0] === names[1])
        issue(['decode', 'name'], 'must differ from the prefill role name');
    }
    const workloadNames = pd
      ? [p.prefill?.name ?? 'prefill', p.decode?.name ?? 'decode']
      : [p.worker?.name ?? 'inference'];
    if (
      p.routing !== 'none' &&
      workloadNames.includes(p.routerName ?? 'router')
    )
      issue(['routerName'], 'must differ from the workload role names');
    const pods = roles.reduce(
      (s, [, r]) => s + (r ? r.replicas * (r.nodeCount ?? 1) : 0),
      0,
    );
    if (pods > DEPLOYMENT_PARAMETER_LIMITS.totalPods)
      issue(
        [pd ? 'decode' : 'worker', 'replicas'],
        `${pods} pods in total; a template deploys at most ${DEPLOYMENT_PARAMETER_LIMITS.totalPods}`,
      );
    if (p.routing === 'custom' && !p.endpointPickerConfig)
      issue(
        ['endpointPickerConfig'],
        'required when routing is custom (an EndpointPickerConfig YAML)',
      );
    if (p.routing === 'pd-disaggregation' && !pd)
      issue(
        ['routing'],
        'pd-disaggregation needs a P/D topology (pd or pd-multi-node)',
      );
    if (p.gateway?.namespace && !p.gateway.name)
      issue(['gateway', 'name'], 'required when a gateway namespace is given');
    if (p.routing !== 'none' && p.hostnames?.length && !p.gateway?.name)
      issue(['gateway', 'name'], 'required when host names are given');
    if (p.hostnames && new Set(p.hostnames).size !== p.hostnames.length)
      issue(['hostnames'], 'must not repeat a host name');
    if (p.loraAdapters) {
      const seen = new Set<string>();
      p.loraAdapters.forEach((a, i) => {
        if (seen.has(a.name))
          issue(['loraAdapters', i, 'name'], `"${a.name}" is listed twice`);
        seen.add(a.name);
      });
    }
  });

/** Parsed (defaulted) form values. @public */
export type DeploymentParameters = z.output<typeof deploymentParametersSchema>;
/** Form values as a template passes them (defaults optional). @public */
export type DeploymentParametersInput = z.input<
  typeof deploymentParametersSchema
>;
/** One workload role of the form. @public */
export type RoleParameters = z.output<typeof roleParametersSchema>;
