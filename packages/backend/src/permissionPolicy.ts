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
 * The development backend's permission policy (replaces allow-all so that ownership matters in the demo):
 * - fusioninfer.service.update / .delete (scale, strategy, delete): only the owners of the service's catalog entity;
 * - fusioninfer.approval.decide: only members of the approvers (`fusioninfer.approvals.approvers`); the backend
 *   itself refuses a requester's own request (four eyes);
 * - fusioninfer.project.quota.update (raising a team project's GPU quota): the approvers too;
 * - everything else (reading, team projects and their quotas included, the catalog, creating services, which the
 *   approval gate controls): allowed.
 */

import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  fusioninferApprovalDecidePermission,
  fusioninferProjectQuotaUpdatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceUpdatePermission,
} from '@fusioninfer/plugin-fusioninfer-common';

export class FusionInferDevPolicy implements PermissionPolicy {
  private readonly approvers: Set<string>;

  constructor(options: { approvers: string[] }) {
    this.approvers = new Set(
      options.approvers.map(a => a.toLocaleLowerCase('en-US')),
    );
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (
      isPermission(request.permission, fusioninferServiceUpdatePermission) ||
      isPermission(request.permission, fusioninferServiceDeletePermission)
    ) {
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    if (
      isPermission(request.permission, fusioninferApprovalDecidePermission) ||
      isPermission(request.permission, fusioninferProjectQuotaUpdatePermission)
    ) {
      const isApprover = claims.some(c =>
        this.approvers.has(c.toLocaleLowerCase('en-US')),
      );
      return {
        result: isApprover ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** `permission` module installing {@link FusionInferDevPolicy} with the approvers from app-config. */
export const permissionModuleFusionInferDevPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'fusioninfer-dev-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        policy.setPolicy(
          new FusionInferDevPolicy({
            approvers:
              config.getOptionalStringArray(
                'fusioninfer.approvals.approvers',
              ) ?? [],
          }),
        );
      },
    });
  },
});
