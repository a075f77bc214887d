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

import { DeploymentParametersInput } from './parameters';

const IMAGE = 'vllm/vllm-openai:v0.27.1';

const CUSTOM_EPP = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefix-cache-scorer
  parameters:
    blockSize: 10
    maxPrefixBlocksToMatch: 512
    lruCapacityPerServer: 50000 
- type: kv-cache-utilization-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 70 
  - pluginRef: kv-cache-utilization-scorer
    weight: 30
`;

/** Upstream writes the KV-transfer flag and its value as one argument (a known upstream quirk; the builder warns). */
const NIXL_BOTH_ONE_ARG = `--kv-transfer-config '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'`;

/**
 * For every manifest in `examples/`, the template parameters that produce it exactly (tested in
 * `upstreamExamples.test.ts`). Also a catalogue of what the form can express.
 * @public
 */
export const UPSTREAM_EXAMPLE_PARAMETERS: Record<
  string,
  DeploymentParametersInput
> = {
  'monolithic-no-router.yaml': {
    name: 'qwen-inference',
    model: 'Qwen/Qwen3-8B',
    image: IMAGE,
    exposeHttpPort: true,
    topology: 'monolithic',
    worker: { replicas: 1, gpusPerPod: 1 },
    routing: 'none',
  },
  'monolithic-router-qwen.yaml': {
    name: 'qwen-inference',
    model: 'Qwen/Qwen3-8B',
    image: IMAGE,
    topology: 'monolithic',
    worker: { replicas: 1, gpusPerPod: 1 },
    routing: 'prefix-cache',
    gateway: { name: 'inference-gateway' },
  },
  'multi-node-deepseek-no-router.yaml': {
    name: 'deepseek-r1-inference',
    model: 'deepseek-ai/DeepSeek-R1',
    image: IMAGE,
    exposeHttpPort: true,
    topology: 'multi-node',
    worker: {
      replicas: 2,
      nodeCount: 4,
      gpusPerPod: 8,
      tensorParallelSize: 32,
    },
    routing: 'none',
  },
  'multi-node-router.yaml': {
    name: 'qwen-multi-node',
    model: 'Qwen/Qwen3-8B',
    image: IMAGE,
    sharedMemory: '10Gi',
    topology: 'multi-node',
    worker: { replicas: 1, nodeCount: 2, gpusPerPod: 1, tensorParallelSize: 2 },
    routing: 'prefix-cache',
    gateway: { name: 'inference-gateway' },
  },
  'pd-disaggregated-no-router.yaml': {
    name: 'qwen-inference-service',
    model: 'Qwen/Qwen3-8B',
    image: IMAGE,
    exposeHttpPort: true,
    topology: 'pd',
    prefill: { replicas: 2, gpusPerPod: 1 },
    decode: { replicas: 4, gpusPerPod: 1 },
    kvTransfer: { connector: 'PyNcclConnector', roles: 'producer-consumer' },
    routing: 'none',
  },
  'pd-multi-node-deepseek-no-router.yaml': {
    name: 'deepseek-r1-disagg',
    model: 'deepseek-ai/DeepSeek-R1',
    image: IMAGE,
    exposeHttpPort: true,
    topology: 'pd-multi-node',
    prefill: {
      replicas: 1,
      nodeCount: 2,
      gpusPerPod: 8,
      tensorParallelSize: 16,
    },
    decode: {
      replicas: 2,
      nodeCount: 4,
      gpusPerPod: 8,
      tensorParallelSize: 32,
    },
    kvTransfer: { connector: 'PyNcclConnector' },
    routing: 'none',
  },
  'router-custom-endpointpickerconfig.yaml': {
    name: 'advanced-service',
    model: 'meta-llama/Llama-3-8B-Instruct',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'monolithic',
    worker: { replicas: 5, gpusPerPod: 0 },
    routing: 'custom',
    routerName: 'gateway',
    endpointPickerConfig: CUSTOM_EPP,
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['advanced.example.com'],
  },
  'router-kv-cache-utilization.yaml': {
    name: 'balanced-llm-service',
    model: '/models/llama-70b',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'monolithic',
    worker: { replicas: 3, gpusPerPod: 0 },
    routing: 'kv-cache-utilization',
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['api.balanced.example.com'],
  },
  'router-pd-disaggregation-2-decode.yaml': {
    name: 'disaggregated-llm-service',
    model: 'meta-llama/Llama-3-70B-Instruct',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'pd',
    prefill: {
      name: 'prefill-servers',
      containerName: 'prefill',
      replicas: 2,
      gpusPerPod: 0,
      extraArgs: [NIXL_BOTH_ONE_ARG],
    },
    decode: {
      name: 'decode-servers',
      containerName: 'decode',
      replicas: 2,
      gpusPerPod: 0,
      extraArgs: [NIXL_BOTH_ONE_ARG],
    },
    routing: 'pd-disaggregation',
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['llm.disaggregated.example.com'],
  },
  'router-pd-disaggregation-3-decode.yaml': {
    name: 'disaggregated-llm-service',
    model: 'meta-llama/Llama-3-70B-Instruct',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'pd',
    prefill: {
      name: 'prefill-servers',
      containerName: 'prefill',
      replicas: 2,
      gpusPerPod: 0,
      extraArgs: [NIXL_BOTH_ONE_ARG],
    },
    decode: {
      name: 'decode-servers',
      containerName: 'decode',
      replicas: 3,
      gpusPerPod: 0,
      extraArgs: [NIXL_BOTH_ONE_ARG],
    },
    routing: 'pd-disaggregation',
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['llm.disaggregated.example.com'],
  },
  'router-prefix-cache-hostnames.yaml': {
    name: 'qwen-service',
    model: 'Qwen/Qwen2.5-7B-Instruct',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'monolithic',
    worker: { replicas: 3, gpusPerPod: 0 },
    routing: 'prefix-cache',
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['qwen.example.com'],
  },
  'router-prefix-cache-simple.yaml': {
    name: 'my-service',
    model: 'meta-llama/Llama-3-8B-Instruct',
    image: IMAGE,
    argStyle: 'equals',
    topology: 'monolithic',
    worker: { replicas: 3, gpusPerPod: 0 },
    routing: 'prefix-cache',
    routerName: 'gateway',
    gateway: { name: 'my-gateway', namespace: 'gateway-system' },
    hostnames: ['api.example.com'],
  },
  'single-node-router-2-replicas.yaml': {
    name: 'qwen',
    model: 'Qwen/Qwen3-8B',
    image: IMAGE,
    topology: 'monolithic',
    worker: { replicas: 2, gpusPerPod: 1 },
    routing: 'prefix-cache',
    gateway: { name: 'inference-gateway' },
  },
};
