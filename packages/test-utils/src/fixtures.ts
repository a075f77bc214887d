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
 * The smallest valid InferenceService: one `worker` role named `inference` with one vLLM container, in
 * `default` unless `namespace` says otherwise. `metadata` is merged into the object's metadata (labels,
 * annotations).
 */
export function minimalInferenceService(
  name: string,
  options: {
    namespace?: string;
    replicas?: number;
    metadata?: Record<string, unknown>;
  } = {},
) {
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...options.metadata,
    },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: options.replicas ?? 1,
          template: {
            spec: {
              containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.13.0' }],
            },
          },
        },
      ],
    },
  };
}
