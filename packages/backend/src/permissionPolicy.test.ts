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

import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  fusioninferApprovalDecidePermission,
  fusioninferApprovalReadPermission,
  fusioninferProjectQuotaUpdatePermission,
  fusioninferProjectReadPermission,
  fusioninferServiceCreatePermission,
  fusioninferServiceDeletePermission,
  fusioninferServiceReadPermission,
  fusioninferServiceUpdatePermission,
} from '@fusioninfer/plugin-fusioninfer-common';
import { FusionInferDevPolicy } from './permissionPolicy';

const user = (ownershipEntityRefs: string[]): PolicyQueryUser =>
  ({
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
    token: 'token',
    credentials: {} as any,
    expiresInSeconds: 3600,
  }) as PolicyQueryUser;

const guest = user(['user:default/guest', 'group:default/llm-apps']);
const approver = user(['user:default/approver', 'group:default/ml-platform']);

describe('FusionInferDevPolicy', () => {
  const policy = new FusionInferDevPolicy({
    approvers: ['group:default/ML-Platform'],
  });

  it.each([
    fusioninferServiceUpdatePermission,
    fusioninferServiceDeletePermission,
  ])(
    'grants $name to the owners of the entity only (catalog IS_ENTITY_OWNER with the user claims)',
    async permission => {
      const decision = await policy.handle({ permission }, guest);
      expect(decision).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['user:default/guest', 'group:default/llm-apps'] },
        },
      });
    },
  );

  it.each([
    fusioninferApprovalDecidePermission,
    fusioninferProjectQuotaUpdatePermission,
  ])(
    'grants $name to members of an approvers group, case-insensitively, and nobody else',
    async permission => {
      for (const resourceRef of [undefined, 'llm-apps', 'ml-platform']) {
        const request = resourceRef
          ? { permission, resourceRef }
          : { permission };
        expect(await policy.handle(request as any, approver)).toEqual({
          result: AuthorizeResult.ALLOW,
        });
        // Not even for the guest's own team project.
        expect(await policy.handle(request as any, guest)).toEqual({
          result: AuthorizeResult.DENY,
        });
        expect(await policy.handle(request as any)).toEqual({
          result: AuthorizeResult.DENY,
        });
      }
    },
  );

  it('allows reading (team projects included), creating and the rest of Backstage', async () => {
    for (const permission of [
      fusioninferServiceReadPermission,
      fusioninferServiceCreatePermission,
      fusioninferApprovalReadPermission,
      fusioninferProjectReadPermission,
      catalogEntityReadPermission,
    ]) {
      expect(await policy.handle({ permission }, guest)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });
});
