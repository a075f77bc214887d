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
 * Node library of the FusionInfer plugins: cluster configuration and access shared by the backend plugin and the
 * scaffolder module.
 *
 * @packageDocumentation
 */

export { readFusionInferClusters, isNamespaceAllowed } from './config';
export type { FusionInferClusterConfig } from './config';
export { readRenderOptions } from './renderOptions';
export {
  ClusterClient,
  ClusterApiError,
  toClusterApiError,
  DEFAULT_PROXY_MAX_BYTES,
} from './ClusterClient';
export type { LeaseClient, LeaseObject } from './ClusterClient';
export { CacheInformer } from './informer';
export type { CacheInformerOptions, InformerTransport } from './informer';
export { KINDS, CHILD_KINDS, kindOf, resourcePath } from './kinds';
export type { KindInfo } from './kinds';
export {
  fusioninferClustersServiceRef,
  createFusionInferClusters,
} from './clusters';
export type { FusionInferClusters } from './clusters';
export { fusioninferClientServiceRef } from './client';
export type {
  FusionInferBackendClient,
  FusionInferBackendRequestOptions,
} from './client';
