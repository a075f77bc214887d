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

import { z } from 'zod';
import { COMPONENT_TYPES, ROUTING_STRATEGIES } from '../constants';
import { kubernetesName } from './common';
import {
  clusterCapacitySchema,
  kubeObjectSchema,
  validationResultSchema,
} from './common';

const componentPhase = z.enum([
  'Pending',
  'Deploying',
  'Running',
  'Failed',
  'Unknown',
]);
const componentType = z.enum(COMPONENT_TYPES);
const strategy = z.enum(ROUTING_STRATEGIES);

/** `GET /clusters`. @public */
export const clustersResponseSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({
        name: z.string(),
        title: z.string(),
        mode: z.enum(['manage', 'observe']),
        /** This backend instance holds the cluster's reconciler lease. */
        leading: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'ClustersResponse' });
/** `GET /clusters`. @public */
export type ClustersResponse = z.infer<typeof clustersResponseSchema>;

/** One service of `GET /services`. @public */
export const serviceListItemSchema = z.strictObject({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  phase: componentPhase.optional(),
  replicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  /** The catalog entity the service belongs to (permissions are checked on it). */
  entityRef: z.string(),
});
/** One service of `GET /services`. @public */
export type ServiceListItem = z.infer<typeof serviceListItemSchema>;

/** A cluster that could not be read (the message is generic; details are in the backend log). @public */
export const clusterErrorSchema = z.strictObject({
  cluster: z.string().optional(),
  message: z.string(),
});

/** `GET /services`: every readable service of every cluster; a cluster that is down is reported in `errors`. @public */
export const servicesResponseSchema = z
  .strictObject({
    items: z.array(serviceListItemSchema),
    errors: z.array(clusterErrorSchema),
  })
  .meta({ id: 'ServicesResponse' });
/** `GET /services`. @public */
export type ServicesResponse = z.infer<typeof servicesResponseSchema>;

const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().optional(),
});

/** Aggregated status of one role. */
const componentStatusSchema = z.object({
  desiredReplicas: z.number(),
  readyReplicas: z.number(),
  nodesPerReplica: z.number(),
  totalPods: z.number(),
  readyPods: z.number(),
  phase: componentPhase,
  lastUpdateTime: z.string().optional(),
});

/** `status` of an InferenceService. @public */
export const inferenceServiceStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
  components: z.record(z.string(), componentStatusSchema).optional(),
  replicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  phase: componentPhase.optional(),
});

/** One pod of a replica in the service detail. @public */
export const podViewSchema = z.strictObject({
  name: z.string(),
  role: z.string().optional(),
  replica: z.number().int(),
  leader: z.boolean(),
  phase: z.string().optional(),
  ready: z.boolean(),
  node: z.string().optional(),
  restarts: z.number().int(),
  /** Crash reason (CrashLoopBackOff, ImagePullBackOff, OOMKilled…), if any. */
  problem: z.string().optional(),
});
/** One pod of a replica in the service detail. @public */
export type PodView = z.infer<typeof podViewSchema>;

/** `status.parents` of an InferencePool or HTTPRoute (Gateway API; open objects). */
const parentsSchema = z.array(z.record(z.string(), z.unknown()));

/** A role's rollout in the service detail (issue 19). @public */
export const roleRolloutSchema = z
  .strictObject({
    /** The role's policy with its amounts resolved against its replicas (the defaults without the annotation). */
    policy: z.strictObject({
      maxUnavailable: z.number().int(),
      maxSurge: z.number().int(),
      partition: z.number().int(),
      paused: z.boolean(),
    }),
    /** The service carries the annotation `fusioninfer.io/rollout`. */
    configured: z.boolean(),
    /** A live replica runs another spec than the rendered one, or a surge replica is up. */
    active: z.boolean(),
    /** Desired replicas. */
    replicas: z.number().int(),
    /** Replicas below `replicas` whose LeaderWorkerSet has the rendered spec hash, and of those Ready. */
    updatedReplicas: z.number().int(),
    readyReplicas: z.number().int(),
    /** Surge replicas alive (labelled `fusioninfer.io/surge`). */
    surgeReplicas: z.number().int(),
    /** GPUs those surge replicas ask for (the extra GPUs in flight). */
    surgeGpus: z.number().int().optional(),
    paused: z.boolean(),
    /** The plan's phase now: `complete`, `progressing`, `paused` or `waiting`. */
    phase: z.enum(['complete', 'progressing', 'paused', 'waiting']),
    /** Why it waits or holds, in words. */
    reason: z.string().optional(),
    /** The role's part of the `RolloutProgressing` condition the reconciler last wrote. */
    message: z.string().optional(),
  })
  .meta({ id: 'RoleRollout' });
/** A role's rollout in the service detail. @public */
export type RoleRollout = z.infer<typeof roleRolloutSchema>;

const canaryPhase = z.enum([
  'Starting',
  'Progressing',
  'Paused',
  'AwaitingPromotion',
  'Promoting',
  'Complete',
  'RolledBack',
]);

/** A service's canary in the service detail (issue 19): its policy, its state and what the cluster shows. @public */
export const canaryViewSchema = z
  .strictObject({
    /** The policy of the annotation `fusioninfer.io/canary`, defaults filled in. */
    policy: z.strictObject({
      steps: z.array(z.number().int()),
      stepSeconds: z.number().int(),
      replicas: z.number().int(),
      minRequests: z.number().int(),
      analysis: z.strictObject({
        maxTtftP95Seconds: z.number().optional(),
        maxTtftP95Ratio: z.number().optional(),
        maxErrorRate: z.number().optional(),
        maxQueuePerReplica: z.number().optional(),
      }),
      onBreach: z.enum(['pause', 'rollback']),
      autoPromote: z.boolean(),
    }),
    /** The workload revision of the spec now. */
    revision: z.string(),
    /** A canary runs (or starts) for that revision. */
    active: z.boolean(),
    /** The state of the canary last recorded (`fusioninfer.io/canary-status`); it may be of an earlier revision. */
    state: z
      .strictObject({
        revision: z.string(),
        phase: canaryPhase,
        step: z.number().int(),
        weight: z.number(),
        since: z.string(),
        /** Passing checks with traffic in the current step. */
        passed: z.number().int(),
        reason: z.string().optional(),
        checks: z.array(
          z.strictObject({
            at: z.string(),
            weight: z.number(),
            ttftP95: z.number().optional(),
            stableTtftP95: z.number().optional(),
            errorRate: z.number().optional(),
            queuePerReplica: z.number().optional(),
            requests: z.number().optional(),
            breaches: z.array(z.string()),
            note: z.string().optional(),
          }),
        ),
        events: z.array(
          z.strictObject({
            at: z.string(),
            phase: canaryPhase,
            weight: z.number(),
            message: z.string(),
            by: z.string().optional(),
          }),
        ),
      })
      .optional(),
    /** The canary's share of the live HTTPRoute, percent. */
    routeWeight: z.number(),
    /** Canary replicas alive, and of those Ready. */
    canaryReplicas: z.number().int(),
    readyCanaryReplicas: z.number().int(),
    /** What the reconciler does, in words. */
    message: z.string().optional(),
    /** Why the Gateway cannot split the traffic between two pools, when it cannot. */
    gatewayProblem: z.string().optional(),
  })
  .meta({ id: 'CanaryView' });
/** A service's canary in the service detail. @public */
export type CanaryViewResponse = z.infer<typeof canaryViewSchema>;

/** `GET /clusters/:cluster/namespaces/:namespace/services/:name`: everything the Inference tab shows about one service. @public */
export const serviceDetailSchema = z
  .strictObject({
    cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    /** The catalog entity whose permissions govern the service: its `backstage.io/entity-ref`, else its generated model-service entity. */
    entityRef: z.string().optional(),
    /** `metadata.creationTimestamp` of the InferenceService. */
    createdAt: z.string().optional(),
    generation: z.number().int().optional(),
    spec: z.strictObject({
      roles: z.array(
        z.strictObject({
          name: z.string(),
          componentType: componentType,
          replicas: z.number().int().optional(),
          nodesPerReplica: z.number().int(),
          strategy: strategy.optional(),
        }),
      ),
    }),
    status: inferenceServiceStatusSchema,
    roles: z.array(
      z.strictObject({
        name: z.string(),
        componentType: componentType,
        status: componentStatusSchema.optional(),
        replicas: z.array(
          z.strictObject({
            index: z.number().int(),
            leaderWorkerSet: z.string(),
            readyGroups: z.number().int(),
            pods: z.array(podViewSchema),
          }),
        ),
        /** Where a rollout of the role stands: present while one is under way or when the service sets a rollout policy. */
        rollout: roleRolloutSchema.optional(),
      }),
    ),
    /** The canary, when the service carries the annotation `fusioninfer.io/canary`. */
    canary: canaryViewSchema.optional(),
    gang: z
      .strictObject({
        name: z.string(),
        phase: z.string(),
        minMember: z.number().int().optional(),
        running: z.number().int(),
        tasks: z.array(
          z.strictObject({
            task: z.string(),
            min: z.number().int(),
            scheduled: z.number().int(),
          }),
        ),
        unschedulable: z
          .strictObject({
            reason: z.string().optional(),
            message: z.string().optional(),
            unschedulableTasks: z.number().int().optional(),
            totalTasks: z.number().int().optional(),
          })
          .optional(),
        /** GPUs of the cluster now (absent: unknown, e.g. the backend may not list nodes). */
        capacity: clusterCapacitySchema.optional(),
      })
      .optional(),
    router: z
      .strictObject({
        role: z.string(),
        strategy: z.union([strategy, z.literal('custom')]),
        epp: z
          .strictObject({
            image: z.string().optional(),
            ready: z.boolean(),
            conditions: z.array(conditionSchema),
            problems: z.array(
              z.strictObject({
                pod: z.string(),
                reason: z.string().optional(),
                message: z.string().optional(),
              }),
            ),
          })
          .optional(),
        inferencePool: z
          .strictObject({ name: z.string(), parents: parentsSchema })
          .optional(),
        httpRoute: z
          .strictObject({ name: z.string(), parents: parentsSchema })
          .optional(),
      })
      .optional(),
    events: z.array(
      z.strictObject({
        type: z.string().optional(),
        reason: z.string().optional(),
        message: z.string().optional(),
        object: z.string(),
        lastTimestamp: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'ServiceDetail' });
/** The service detail. @public */
export type ServiceDetail = z.infer<typeof serviceDetailSchema>;

/** The render summary (pods, GPUs per role and in total, gang scheduling, router). @public */
export const renderSummarySchema = z.object({
  name: z.string(),
  namespace: z.string(),
  pdDisaggregated: z.boolean(),
  gangScheduling: z.boolean(),
  roles: z.array(
    z.object({
      name: z.string(),
      replicas: z.number(),
      nodesPerReplica: z.number(),
      pods: z.number(),
    }),
  ),
  router: z.object({ roleName: z.string() }).optional(),
  totals: z.object({
    pods: z.number(),
    gpus: z.number(),
    accelerators: z.record(z.string(), z.number()),
    children: z.number(),
  }),
});

/** `GET …/children`: validation; when valid also every rendered child and the render summary. @public */
export const childrenResponseSchema = z
  .strictObject({
    validation: validationResultSchema,
    summary: renderSummarySchema.optional(),
    children: z.array(kubeObjectSchema).optional(),
  })
  .meta({ id: 'ChildrenResponse' });
/** `GET …/children`. @public */
export type ChildrenResponse = z.infer<typeof childrenResponseSchema>;

/** `GET …/diff`: rendered children against the live ones (absent when the spec is invalid). @public */
export const diffResponseSchema = z
  .strictObject({
    validation: validationResultSchema,
    diff: z
      .strictObject({
        inSync: z.boolean(),
        counts: z.record(z.string(), z.number()),
        children: z.array(
          z.strictObject({
            apiVersion: z.string(),
            kind: z.string(),
            name: z.string(),
            state: z.enum(['in-sync', 'drifted', 'missing', 'orphan']),
            desiredSpecHash: z.string().optional(),
            liveSpecHash: z.string().optional(),
            changes: z.array(
              // A field only one side has: the other is absent.
              z.strictObject({
                path: z.string(),
                desired: z.unknown().optional(),
                live: z.unknown().optional(),
              }),
            ),
          }),
        ),
      })
      .optional(),
  })
  .meta({ id: 'DiffResponse' });
/** `GET …/diff`. @public */
export type DiffResponse = z.infer<typeof diffResponseSchema>;

/** `GET …/metrics` (RoutingMetricsResponse; nested metric documents are open). @public */
export const metricsResponseSchema = z
  .object({
    cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    source: z.enum(['pod-proxy', 'prometheus']),
    collectedAt: z.string(),
    strategy: z.string().optional(),
    poolName: z.string().optional(),
    endpoints: z.array(
      z.object({
        pod: z.string(),
        role: z.string(),
        componentType: z.string(),
        ready: z.boolean(),
        state: z.enum(['ok', 'not-ready', 'unreachable', 'error']),
        message: z.string().optional(),
      }),
    ),
    pool: z.object({ endpoints: z.number(), reporting: z.number() }),
    roles: z.record(z.string(), z.object({ endpoints: z.number() })),
    epp: z.object({
      state: z.enum([
        'ok',
        'unavailable-auth',
        'unreachable',
        'no-router',
        'not-ready',
        'error',
      ]),
      message: z.string().optional(),
    }),
    history: z.array(z.object({ at: z.string() })),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'RoutingMetricsResponse' });

/** One service named by, or pointing at, an entity (`GET /entities/…/services`). @public */
export const entityServiceItemSchema = z.union([
  z.strictObject({
    cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    found: z.literal(true),
    service: serviceDetailSchema,
  }),
  z.strictObject({
    cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    found: z.literal(false),
    error: z.string().optional(),
  }),
]);
/** One item of `GET /entities/…/services`. @public */
export type EntityServiceItem = z.infer<typeof entityServiceItemSchema>;

/**
 * `GET /entities/:kind/:namespace/:name/services`: the services the entity names (`fusioninfer.io/service`) or that
 * name it (`backstage.io/entity-ref`); each one the caller may read on its own entity (others are left out).
 * @public
 */
export const entityServicesResponseSchema = z
  .strictObject({
    entityRef: z.string(),
    items: z.array(entityServiceItemSchema),
    errors: z.array(clusterErrorSchema),
  })
  .meta({ id: 'EntityServicesResponse' });
/** `GET /entities/…/services`. @public */
export type EntityServicesResponse = z.infer<
  typeof entityServicesResponseSchema
>;

/** `POST …/scale`. @public */
export const scaleRequestSchema = z
  .strictObject({
    role: kubernetesName('role').describe(
      'A worker, prefiller or decoder role of the service',
    ),
    replicas: z.number().int().min(0).max(10000),
  })
  .meta({ id: 'ScaleRequest' });
/** `POST …/scale`. @public */
export type ScaleRequest = z.infer<typeof scaleRequestSchema>;

/** `POST …/scale` applied. @public */
export const scaleResponseSchema = z
  .strictObject({
    outcome: z.literal('applied'),
    name: z.string(),
    generation: z.number().int().optional(),
    roles: z.array(
      z.strictObject({
        name: z.string(),
        replicas: z.number().int().optional(),
      }),
    ),
  })
  .meta({ id: 'ScaleResponse' });
/** `POST …/scale` applied. @public */
export type ScaleResponse = z.infer<typeof scaleResponseSchema>;

/** `POST …/strategy`: the router's routing strategy (required). @public */
export const strategyRequestSchema = z
  .strictObject({ strategy })
  .meta({ id: 'StrategyRequest' });
/** `POST …/strategy`. @public */
export type StrategyRequest = z.infer<typeof strategyRequestSchema>;

/** `POST …/strategy` applied. @public */
export const strategyResponseSchema = z
  .strictObject({ outcome: z.literal('applied'), strategy })
  .meta({ id: 'StrategyResponse' });
/** `POST …/strategy` applied. @public */
export type StrategyResponse = z.infer<typeof strategyResponseSchema>;

/** `POST …/rollout`: pause or resume the rollout of one role. @public */
export const rolloutRequestSchema = z
  .strictObject({
    role: kubernetesName('role').describe(
      'A worker, prefiller or decoder role of the service',
    ),
    paused: z.boolean(),
  })
  .meta({ id: 'RolloutRequest' });
/** `POST …/rollout`. @public */
export type RolloutRequest = z.infer<typeof rolloutRequestSchema>;

/** `POST …/rollout` applied: the annotation as written. @public */
export const rolloutResponseSchema = z
  .strictObject({
    outcome: z.literal('applied'),
    role: z.string(),
    paused: z.boolean(),
    /** The value of `fusioninfer.io/rollout` now. */
    annotation: z.string(),
  })
  .meta({ id: 'RolloutResponse' });
/** `POST …/rollout` applied. @public */
export type RolloutResponse = z.infer<typeof rolloutResponseSchema>;

/** `POST …/canary`: promote, roll back, pause or resume the canary of the service's current revision. @public */
export const canaryRequestSchema = z
  .strictObject({
    action: z
      .enum(['promote', 'rollback', 'pause', 'resume'])
      .describe(
        'promote: move the stable replicas to the canary revision; rollback: all traffic to the stable pool and the canary removed; pause / resume the steps (resume starts a rolled-back canary again)',
      ),
  })
  .meta({ id: 'CanaryRequest' });
/** `POST …/canary`. @public */
export type CanaryRequest = z.infer<typeof canaryRequestSchema>;

/** `POST …/canary` applied: the canary's phase and weight now. @public */
export const canaryResponseSchema = z
  .strictObject({
    outcome: z.literal('applied'),
    action: z.enum(['promote', 'rollback', 'pause', 'resume']),
    phase: canaryPhase,
    weight: z.number(),
  })
  .meta({ id: 'CanaryResponse' });
/** `POST …/canary` applied. @public */
export type CanaryResponse = z.infer<typeof canaryResponseSchema>;

/** `DELETE …/services/:name` (202: deletion started). @public */
export const deleteResponseSchema = z
  .strictObject({ deleted: z.string() })
  .meta({ id: 'DeleteResponse' });
/** `DELETE …/services/:name`. @public */
export type DeleteResponse = z.infer<typeof deleteResponseSchema>;

/** `GET …/metrics` as the schema checks it (the full type is RoutingMetricsResponse). @public */
export type MetricsResponse = z.infer<typeof metricsResponseSchema>;
