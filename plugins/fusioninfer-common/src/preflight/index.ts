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

export { clusterSnapshotOf, podSpecRequests, preflight } from './preflight';
export type {
  ClusterSnapshot,
  GangPreflight,
  PreflightFinding,
  PreflightMemory,
  PreflightOptions,
  PreflightReport,
  PreflightVerdict,
  ResourceAmounts,
  RolePreflight,
  SnapshotNode,
  SnapshotOptions,
  SnapshotQueue,
} from './preflight';
export { formatPreflight } from './format';
export { readEngineArgs } from './engineArgs';
export type { EngineArgs } from './engineArgs';
export {
  ModelCatalog,
  modelConfigOf,
  modelEntryOf,
  shippedModelCatalog,
} from './catalog';
export type { ModelConfig, ModelEntry } from './catalog';
export { gpuFromNodeLabels, gpuFromProduct, parseGpuMemory } from './gpus';
export type { GpuSpec } from './gpus';
