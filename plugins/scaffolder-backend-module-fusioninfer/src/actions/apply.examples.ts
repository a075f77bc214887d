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

const manifest = {
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: {
    name: 'qwen-chat',
    annotations: { 'fusioninfer.io/owner': 'group:default/ml-platform' },
  },
  spec: {
    roles: [
      {
        name: 'inference',
        componentType: 'worker',
        replicas: 1,
        template: {
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai:v0.27.1',
                args: ['--model', 'Qwen/Qwen3-8B'],
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      },
    ],
  },
};

/** Shown by the template editor; each one also runs as a test (apply.test.ts). */
export const examples: TemplateExample[] = [
  {
    description:
      'Apply the output of fusioninfer:service:render and wait until Ready (in a template: manifest: ${{ steps.render.output.manifest }})',
    example: stringify({
      steps: [
        {
          id: 'apply',
          action: 'fusioninfer:service:apply',
          name: 'Deploy',
          input: {
            cluster: 'dev',
            namespace: 'ml',
            manifest,
            wait: true,
            timeoutSeconds: 600,
          },
        },
      ],
    }),
  },
  {
    description:
      'Apply to a cluster without a controller: the backend also applies the rendered children',
    example: stringify({
      steps: [
        {
          id: 'apply',
          action: 'fusioninfer:service:apply',
          name: 'Deploy with children',
          input: { cluster: 'lab', namespace: 'ml', manifest, children: true },
        },
      ],
    }),
  },
  {
    description:
      'Take over a service that another entity or manager owns, and link it to an existing component',
    example: stringify({
      steps: [
        {
          id: 'apply',
          action: 'fusioninfer:service:apply',
          name: 'Update',
          input: {
            cluster: 'dev',
            namespace: 'ml',
            manifest,
            update: true,
            entityRef: 'component:default/chat-assistant',
          },
        },
      ],
    }),
  },
];
