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

import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Shown by the template editor; each one also runs as a test (render.test.ts). */
export const examples: TemplateExample[] = [
  {
    description:
      'Monolithic model behind a prefix-cache router, from the form of "Deploy an LLM"',
    example: stringify({
      steps: [
        {
          id: 'render',
          action: 'fusioninfer:service:render',
          name: 'Render the InferenceService',
          input: {
            parameters: {
              name: 'qwen-chat',
              namespace: 'ml',
              owner: 'group:default/ml-platform',
              model: 'Qwen/Qwen3-8B',
              image: 'vllm/vllm-openai:v0.27.1',
              topology: 'monolithic',
              worker: { replicas: 2, gpusPerPod: 1 },
              routing: 'prefix-cache',
              gateway: { name: 'inference-gateway', namespace: 'gateway' },
              hostnames: ['qwen.example.com'],
            },
          },
        },
      ],
    }),
  },
  {
    description:
      'P/D disaggregation across nodes (Ray on LeaderWorkerSets, gang-scheduled) with the llm-d P/D router',
    example: stringify({
      steps: [
        {
          id: 'render',
          action: 'fusioninfer:service:render',
          name: 'Render a P/D multi-node service',
          input: {
            parameters: {
              name: 'deepseek-pd',
              namespace: 'ml',
              model: 'deepseek-ai/DeepSeek-R1',
              image: 'vllm/vllm-openai:v0.27.1',
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
              kvTransfer: { connector: 'NixlConnector', roles: 'both' },
              routing: 'pd-disaggregation',
              gateway: { name: 'inference-gateway' },
            },
            targetPath: 'deploy/deepseek-pd',
          },
        },
      ],
    }),
  },
  {
    description:
      'LoRA adapters with lora-affinity routing, files for a GitOps repository only (no children)',
    example: stringify({
      steps: [
        {
          id: 'render',
          action: 'fusioninfer:service:render',
          name: 'Render for GitOps',
          input: {
            parameters: {
              name: 'llama-lora',
              namespace: 'ml',
              model: 'meta-llama/Llama-3.1-8B-Instruct',
              image: 'vllm/vllm-openai:v0.27.1',
              topology: 'monolithic',
              worker: { replicas: 3, gpusPerPod: 1 },
              loraAdapters: [
                { name: 'sql', path: 'acme/llama-sql-lora' },
                { name: 'support', path: '/adapters/support' },
              ],
              routing: 'lora-affinity',
              gateway: { name: 'inference-gateway' },
            },
            targetPath: 'services/llama-lora',
            files: 'service',
          },
        },
      ],
    }),
  },
  {
    description: 'A whole manifest (YAML text), rendered into namespace ml',
    example: stringify({
      steps: [
        {
          id: 'render',
          action: 'fusioninfer:service:render',
          name: 'Render a manifest',
          input: {
            namespace: 'ml',
            manifest: `apiVersion: fusioninfer.io/v1alpha1
kind: InferenceService
metadata:
  name: qwen
spec:
  roles:
    - name: router
      componentType: router
      strategy: queue-size
    - name: inference
      componentType: worker
      replicas: 2
      template:
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:v0.27.1
              args: ["--model", "Qwen/Qwen3-8B"]
              resources:
                limits:
                  nvidia.com/gpu: "1"
`,
          },
        },
      ],
    }),
  },
];
