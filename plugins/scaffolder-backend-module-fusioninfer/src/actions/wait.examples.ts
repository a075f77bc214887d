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

/** Shown by the template editor; each one also runs as a test (wait.test.ts). */
export const examples: TemplateExample[] = [
  {
    description: 'Wait until a service is Ready',
    example: stringify({
      steps: [
        {
          id: 'wait',
          action: 'fusioninfer:service:wait',
          name: 'Wait until Ready',
          input: {
            cluster: 'dev',
            namespace: 'ml',
            name: 'qwen-chat',
            timeoutSeconds: 600,
          },
        },
      ],
    }),
  },
  {
    description:
      'Wait for the approval request fusioninfer:service:apply filed, then until the approved service is Ready (in a template: approvalId: ${{ steps.apply.output.approvalId }})',
    example: stringify({
      steps: [
        {
          id: 'wait',
          action: 'fusioninfer:service:wait',
          name: 'Wait for approval and readiness',
          input: {
            approvalId: '0b7e3c52-9a51-4f3e-8d53-0a8f0c1f2e3d',
            timeoutSeconds: 3600,
          },
        },
      ],
    }),
  },
];
