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

/**
 * The children the controller renders for `examples/monolithic-router-qwen.yaml` (spec §3.13), as
 * `Kind/name` in render order. Render, the CLI and the scaffolder preview must all produce this list.
 */
export const MONOLITHIC_ROUTER_QWEN_CHILDREN: readonly string[] = Object.freeze(
  [
    'LeaderWorkerSet/qwen-inference-inference-0',
    'ServiceAccount/qwen-inference-epp',
    'Role/qwen-inference-epp',
    'RoleBinding/qwen-inference-epp',
    'ConfigMap/qwen-inference-epp-config',
    'Deployment/qwen-inference-epp',
    'Service/qwen-inference-epp',
    'InferencePool/qwen-inference-pool',
    'HTTPRoute/qwen-inference-httproute',
  ],
);

/** `Kind/name` of each object, the shape of the golden lists. */
export function kindNames(
  objects: ReadonlyArray<{ kind?: string; metadata?: { name?: string } }>,
): string[] {
  return objects.map(o => `${o.kind}/${o.metadata?.name}`);
}
