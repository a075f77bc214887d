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

/*
 * Approvals: a deployment that policy says needs a second person waits as an approval request until somebody with
 * `fusioninfer.approval.decide` approves or rejects it. The policy check is pure so the scaffolder can show it in a
 * dry run and the backend can enforce it.
 */

import { RenderSummary } from './render';

/** Lifecycle of an approval request. @public */
export type ApprovalStatus =
  'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

/** What an approval request asks for. @public */
export type ApprovalAction = 'create' | 'update' | 'scale' | 'delete';

/** One approval request as the REST API returns it. @public */
export interface ApprovalRequest {
  id: string;
  status: ApprovalStatus;
  action: ApprovalAction;
  cluster: string;
  namespace: string;
  name: string;
  /** Catalog entity the service belongs to, when known. */
  entityRef?: string;
  requestedBy: string;
  requestedAt: string;
  /** Why policy requires approval (one line per rule that fired). */
  reasons: string[];
  /** GPUs, pods and roles of the requested service (render summary totals). */
  summary?: {
    gpus: number;
    pods: number;
    roles: Array<{
      name: string;
      componentType?: string;
      replicas: number;
      nodesPerReplica: number;
      gpus: number;
    }>;
  };
  /** The requested InferenceService manifest (JSON; only `GET /approvals/:id` returns it). */
  manifest?: unknown;
  /** `specHash(manifest)`: an approval approves exactly this manifest. */
  specHash?: string;
  /** Apply options stored with the request (`POST /apply` `children`, `update`). */
  options?: { children?: boolean; update?: boolean };
  /** What the backend did after approval: it applies the stored manifest once. */
  execution?: ApprovalExecution;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  expiresAt?: string;
  /** Scaffolder task waiting for the decision, if any. */
  taskId?: string;
  /** The policy's verdict when the request was filed: project, quota before/after, pod security, entity changed. */
  policy?: ApprovalPolicyVerdict;
}

/** The policy's verdict stored with an approval request (see `evaluateChange`). @public */
export interface ApprovalPolicyVerdict {
  allowed: boolean;
  denials: Array<{ field: string; rule: string; message: string }>;
  project?: string;
  owner?: string;
  quota?: { cluster: string; limit: number; before: number; after: number };
  podSecurity: {
    level: string;
    violations: Array<{ field: string; rule: string; message: string }>;
  };
  resourceClaims?: number;
  previousEntityRef?: string;
}

/** The outcome of applying an approved request. @public */
export interface ApprovalExecution {
  state: 'applying' | 'applied' | 'failed';
  /** When the state was reached (ISO 8601). */
  at: string;
  message?: string;
}

/** When approval is required (app-config `fusioninfer.approvals`). @public */
export interface ApprovalPolicy {
  /** Every request needs approval. Default false. */
  always?: boolean;
  /** A service asking for more GPUs than this needs approval. */
  maxGpusWithoutApproval?: number;
  /** A service with more pods than this needs approval. */
  maxPodsWithoutApproval?: number;
  /** Namespaces (exact names) where every deployment needs approval. */
  namespaces?: string[];
  /** Clusters where every deployment needs approval. */
  clusters?: string[];
}

/** The decision of {@link approvalRequired}. @public */
export interface ApprovalCheck {
  required: boolean;
  reasons: string[];
}

/** Whether a deployment needs approval under a policy, with one human-readable reason per rule that fired. @public */
export function approvalRequired(
  input: {
    cluster: string;
    namespace: string;
    summary?: Pick<RenderSummary, 'totals'>;
  },
  policy: ApprovalPolicy | undefined,
): ApprovalCheck {
  const reasons: string[] = [];
  if (!policy) return { required: false, reasons };
  if (policy.always)
    reasons.push(
      'every deployment needs approval (fusioninfer.approvals.always)',
    );
  const gpus = input.summary?.totals.gpus ?? 0;
  const pods = input.summary?.totals.pods ?? 0;
  if (
    policy.maxGpusWithoutApproval !== undefined &&
    gpus > policy.maxGpusWithoutApproval
  ) {
    reasons.push(
      `${gpus} GPUs requested; more than ${policy.maxGpusWithoutApproval} need approval`,
    );
  }
  if (
    policy.maxPodsWithoutApproval !== undefined &&
    pods > policy.maxPodsWithoutApproval
  ) {
    reasons.push(
      `${pods} pods requested; more than ${policy.maxPodsWithoutApproval} need approval`,
    );
  }
  if (policy.namespaces?.includes(input.namespace))
    reasons.push(`namespace ${input.namespace} requires approval`);
  if (policy.clusters?.includes(input.cluster))
    reasons.push(`cluster ${input.cluster} requires approval`);
  return { required: reasons.length > 0, reasons };
}
