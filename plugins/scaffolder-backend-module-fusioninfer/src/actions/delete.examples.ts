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

/** Shown by the template editor; each one also runs as a test (delete.test.ts). */
export const examples: TemplateExample[] = [
  {
    description:
      'Delete the service an entity points at (in a template: service: ${{ steps.fetch.output.entity.metadata.annotations["fusioninfer.io/service"] }}, confirm: ${{ parameters.confirm }})',
    example: stringify({
      steps: [
        {
          id: 'delete',
          action: 'fusioninfer:service:delete',
          name: 'Decommission',
          input: { service: 'dev/ml/qwen-chat', confirm: 'qwen-chat' },
        },
      ],
    }),
  },
  {
    description: 'Delete by cluster, namespace and name without waiting',
    example: stringify({
      steps: [
        {
          id: 'delete',
          action: 'fusioninfer:service:delete',
          name: 'Delete',
          input: {
            cluster: 'dev',
            namespace: 'ml',
            name: 'qwen-chat',
            confirm: 'qwen-chat',
            wait: false,
          },
        },
      ],
    }),
  },
];
