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

import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  ApprovalRequest,
  FUSIONINFER_APPROVAL_RESOURCE_TYPE,
} from '@fusioninfer/plugin-fusioninfer-common';
import { z } from 'zod';

/** Query form of approval conditions (a column and the values it may take). @public */
export type ApprovalQueryCriteria = {
  property: 'requested_by' | 'namespace' | 'cluster';
  values: string[];
};

/** The approval request permission resource. @public */
export const approvalPermissionResourceRef = createPermissionResourceRef<
  ApprovalRequest,
  ApprovalQueryCriteria
>().with({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_APPROVAL_RESOURCE_TYPE,
});

const isRequester = createPermissionRule({
  name: 'IS_REQUESTER',
  description:
    'Allow approval requests made by one of the given users (e.g. the caller: claims = ownershipEntityRefs)',
  resourceRef: approvalPermissionResourceRef,
  paramsSchema: z.object({
    claims: z.array(z.string()).describe('User entity refs'),
  }),
  apply: (r: ApprovalRequest, { claims }: { claims: string[] }) =>
    claims.includes(r.requestedBy),
  toQuery: ({ claims }: { claims: string[] }) => ({
    property: 'requested_by' as const,
    values: claims,
  }),
});

const hasNamespace = createPermissionRule({
  name: 'HAS_NAMESPACE',
  description:
    'Allow approval requests for services in the given Kubernetes namespaces',
  resourceRef: approvalPermissionResourceRef,
  paramsSchema: z.object({
    namespaces: z.array(z.string()).describe('Kubernetes namespaces'),
  }),
  apply: (r: ApprovalRequest, { namespaces }: { namespaces: string[] }) =>
    namespaces.includes(r.namespace),
  toQuery: ({ namespaces }: { namespaces: string[] }) => ({
    property: 'namespace' as const,
    values: namespaces,
  }),
});

const hasCluster = createPermissionRule({
  name: 'HAS_CLUSTER',
  description: 'Allow approval requests for services in the given clusters',
  resourceRef: approvalPermissionResourceRef,
  paramsSchema: z.object({
    clusters: z
      .array(z.string())
      .describe('Cluster names of fusioninfer.clusters'),
  }),
  apply: (r: ApprovalRequest, { clusters }: { clusters: string[] }) =>
    clusters.includes(r.cluster),
  toQuery: ({ clusters }: { clusters: string[] }) => ({
    property: 'cluster' as const,
    values: clusters,
  }),
});

/** Permission rules of approval requests. @public */
export const approvalPermissionRules = {
  isRequester,
  hasNamespace,
  hasCluster,
};

const exported = createConditionExports({
  pluginId: 'fusioninfer',
  resourceType: FUSIONINFER_APPROVAL_RESOURCE_TYPE,
  rules: approvalPermissionRules,
});

/** Conditions for permission policies, e.g. `approvalConditions.hasNamespace({ namespaces: ['llm'] })`. @public */
export const approvalConditions = exported.conditions;
/** Builds a conditional decision on approval requests for a permission policy. @public */
export const createApprovalConditionalDecision =
  exported.createConditionalDecision;
