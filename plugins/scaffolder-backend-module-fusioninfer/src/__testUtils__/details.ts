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

/** Service details as `GET …/services/:name` returns them, at the stages a deployment goes through. */
export function detail(
  stage: 'pending-unschedulable' | 'deploying' | 'ready' | 'invalid' | 'stale',
) {
  const running = stage === 'ready' || stage === 'stale';
  const conditions: Record<string, object> = {
    running: {
      type: 'Active',
      status: 'True',
      reason: 'InferenceServiceAvailable',
      message: 'InferenceService is ready',
      observedGeneration: 1,
    },
    invalid: {
      type: 'Active',
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.roles[0].replicas: must be at least 0',
      observedGeneration: 1,
    },
    processing: {
      type: 'Active',
      status: 'False',
      reason: 'InferenceServiceProcessing',
      message: 'InferenceService is being reconciled',
      observedGeneration: 1,
    },
  };
  let active = conditions.processing;
  if (running) active = conditions.running;
  if (stage === 'invalid') active = conditions.invalid;
  let readyReplicas = 0;
  let phase = 'Pending';
  if (running) {
    readyReplicas = 2;
    phase = 'Running';
  } else if (stage === 'deploying') {
    readyReplicas = 1;
    phase = 'Deploying';
  }
  return {
    cluster: 'dev',
    namespace: 'ml',
    name: 'deepseek',
    generation: stage === 'stale' ? 2 : 1,
    spec: { roles: [] },
    status: {
      observedGeneration: 1,
      conditions: [active],
      phase,
    },
    roles: [
      {
        name: 'decode',
        componentType: 'decoder',
        status: {
          desiredReplicas: 2,
          readyReplicas,
          phase: readyReplicas === 2 ? 'Running' : 'Pending',
        },
        replicas: [
          {
            index: 0,
            leaderWorkerSet: 'deepseek-decode-0',
            readyGroups: readyReplicas ? 1 : 0,
            pods: [
              {
                name: 'deepseek-decode-0-0',
                replica: 0,
                leader: true,
                ready: !!readyReplicas,
                restarts: 0,
                ...(stage === 'pending-unschedulable' ? {} : { node: 'gpu-1' }),
              },
            ],
          },
        ],
      },
    ],
    gang: {
      name: 'deepseek',
      phase: stage === 'pending-unschedulable' ? 'Pending' : 'Running',
      minMember: 8,
      running: stage === 'pending-unschedulable' ? 0 : 8,
      tasks: [
        {
          task: 'decode-0',
          min: 8,
          scheduled: stage === 'pending-unschedulable' ? 0 : 8,
        },
      ],
      ...(stage === 'pending-unschedulable'
        ? {
            unschedulable: {
              reason: 'Unschedulable',
              message:
                '8/8 tasks in gang unschedulable: pod group is not ready, 8 Pending, 8 minAvailable; Pending: 8 Unschedulable',
            },
          }
        : {}),
    },
    events: [],
  };
}
