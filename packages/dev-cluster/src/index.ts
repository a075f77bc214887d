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
 * Development Kubernetes for FusionInfer: an HTTP server speaking the Kubernetes REST API (CRUD, watch, patch,
 * server-side apply, CRD validation, garbage collection, pod proxy) plus simulated LWS, Volcano, kubelet, Deployment
 * and model-server controllers. For development, demos and tests only; plugins only ever see a kubeconfig.
 *
 * @packageDocumentation
 */

export {
  startDevCluster,
  loadCrds,
  DEFAULT_NODES,
  DEFAULT_GPU_PRODUCT,
  DEFAULT_GPU_MEMORY_MIB,
} from './cluster';
export type { DevCluster, DevClusterOptions, NodeSpec } from './cluster';
export { KubeApi } from './api';
export type { FaultConfig, KObject, WatchEvent } from './api';
export type {
  PodHttpResolver,
  PodHttpHandler,
  PodLogSource,
  PodLog,
  LogLine,
  ProxyRequest,
  ProxyResponse,
} from './http';
export { ApiError } from './errors';
export { serviceAccountUser, readTokenFile } from './rbac';
export type { DevClusterUser, UserInfo } from './rbac';
export { devCertificates } from './tls';
export type { DevCertificates } from './tls';
export type {
  Simulation,
  SimulationOptions,
  ModelServerBehaviour,
  ModelServerBehaviours,
} from './sim';
export { DEV_GATEWAY, demoGateway } from './sim/gateway';
export { loadSchedule, parseLoadShape, runLoad } from './loadgen';
export type { LoadOptions, LoadResult, LoadShape } from './loadgen';
