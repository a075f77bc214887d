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

import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of approval requests. @public */
export const FUSIONINFER_APPROVAL_RESOURCE_TYPE = 'fusioninfer-approval';

/**
 * Read an InferenceService (status, children, metrics). A resource permission on the catalog entity the service
 * belongs to, so the catalog's rules (e.g. "is the entity's owner") decide.
 * @public
 */
export const fusioninferServiceReadPermission = createPermission({
  name: 'fusioninfer.service.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

/** Scale roles or change the routing strategy of a service. @public */
export const fusioninferServiceUpdatePermission = createPermission({
  name: 'fusioninfer.service.update',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/** Delete a service. @public */
export const fusioninferServiceDeletePermission = createPermission({
  name: 'fusioninfer.service.delete',
  attributes: { action: 'delete' },
  resourceType: 'catalog-entity',
});

/**
 * Resource type of the places services are created in: the resource ref is `<cluster>/<namespace>`, so a policy
 * can scope creation by cluster and namespace (rules `IS_IN_CLUSTER`, `IS_IN_NAMESPACE` of the backend).
 * @public
 */
export const FUSIONINFER_NAMESPACE_RESOURCE_TYPE = 'fusioninfer-namespace';

/**
 * Create (apply) a new service, e.g. from a software template. A resource permission on `<cluster>/<namespace>`
 * ({@link FUSIONINFER_NAMESPACE_RESOURCE_TYPE}); team projects (`fusioninfer.projects`) restrict it further.
 * @public
 */
export const fusioninferServiceCreatePermission = createPermission({
  name: 'fusioninfer.service.create',
  attributes: { action: 'create' },
  resourceType: FUSIONINFER_NAMESPACE_RESOURCE_TYPE,
});

/** Read approval requests. @public */
export const fusioninferApprovalReadPermission = createPermission({
  name: 'fusioninfer.approval.read',
  attributes: { action: 'read' },
  resourceType: FUSIONINFER_APPROVAL_RESOURCE_TYPE,
});

/** Approve or reject an approval request. @public */
export const fusioninferApprovalDecidePermission = createPermission({
  name: 'fusioninfer.approval.decide',
  attributes: { action: 'update' },
  resourceType: FUSIONINFER_APPROVAL_RESOURCE_TYPE,
});

/**
 * Resource type of team projects (`fusioninfer.projects`): the resource ref is the project's name, so a policy can
 * scope who sees or raises which project's quota (rule `IS_PROJECT` of the backend).
 * @public
 */
export const FUSIONINFER_PROJECT_RESOURCE_TYPE = 'fusioninfer-project';

/**
 * See a team project: its owners, destinations and GPU quota per cluster with what its services use now
 * (`GET /projects`). A resource permission on the project's name ({@link FUSIONINFER_PROJECT_RESOURCE_TYPE}).
 * @public
 */
export const fusioninferProjectReadPermission = createPermission({
  name: 'fusioninfer.project.read',
  attributes: { action: 'read' },
  resourceType: FUSIONINFER_PROJECT_RESOURCE_TYPE,
});

/**
 * Raise (or lower, or reset to the configured value) a team project's GPU quota in a cluster
 * (`PUT`/`DELETE /projects/:project/quotas/:cluster`). A resource permission on the project's name.
 * @public
 */
export const fusioninferProjectQuotaUpdatePermission = createPermission({
  name: 'fusioninfer.project.quota.update',
  attributes: { action: 'update' },
  resourceType: FUSIONINFER_PROJECT_RESOURCE_TYPE,
});

/** Every permission of the suite. @public */
export const fusioninferPermissions = [
  fusioninferServiceReadPermission,
  fusioninferServiceUpdatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceCreatePermission,
  fusioninferApprovalReadPermission,
  fusioninferApprovalDecidePermission,
  fusioninferProjectReadPermission,
  fusioninferProjectQuotaUpdatePermission,
];
