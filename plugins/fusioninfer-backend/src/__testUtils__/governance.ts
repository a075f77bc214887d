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
 * What the governance tests share (changes/governance.test.ts, changes/writeAsUser.test.ts, projects/quotas.test.ts):
 * three users in three teams, their credentials, a permission policy mock deciding by ownership, a userInfo service
 * that knows their teams, and catalog entities of users and components.
 */

import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

export const BOB = 'user:default/bob';
export const MALLORY = 'user:default/mallory';
export const CAROL = 'user:default/carol';

/** The teams each user belongs to. */
export const MEMBERS: Record<string, string[]> = {
  [BOB]: ['group:default/team-b'],
  [MALLORY]: ['group:default/team-m'],
  [CAROL]: ['group:default/approvers'],
};

/** Request headers of a signed-in user. */
export const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/**
 * A permission policy mock: `fusioninfer.service.update`/`.delete` only on the entities `owns` lists for the user
 * (what the catalog's isEntityOwner would answer), the `approverOnly` permissions only for Carol, `fusioninfer.project.read`
 * only on the projects `sees` lists for a user it names; everything else allowed.
 */
export function ownersOnlyPolicy(o: {
  owns: Record<string, string[]>;
  approverOnly?: string[];
  sees?: Record<string, string[]>;
}) {
  const approverOnly = o.approverOnly ?? ['fusioninfer.approval.decide'];
  return mockServices.permissions.mock({
    authorize: async (reqs: any[], opts: any) => {
      const user = opts?.credentials?.principal?.userEntityRef as string;
      return reqs.map(r => {
        const name = r.permission.name as string;
        let allow = true;
        if (
          name === 'fusioninfer.service.update' ||
          name === 'fusioninfer.service.delete'
        )
          allow = (o.owns[user] ?? []).includes(r.resourceRef);
        else if (approverOnly.includes(name)) allow = user === CAROL;
        else if (name === 'fusioninfer.project.read' && o.sees?.[user])
          allow = o.sees[user].includes(r.resourceRef);
        return {
          result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        };
      }) as any;
    },
    authorizeConditional: async (reqs: any[]) =>
      reqs.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
  });
}

/** userInfo that gives each user its teams ({@link MEMBERS}) as ownership refs. */
export const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef as string;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(MEMBERS[ref] ?? [])],
      };
    },
  }),
});

/** A catalog entity in namespace default. */
export const entity = (
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  relations: Array<{ type: string; targetRef: string }> = [],
) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'default' },
  spec,
  relations,
});

/** The catalog's User entity of one of the three users, member of its teams ({@link MEMBERS}). */
export const userEntity = (name: string) =>
  entity(
    'User',
    name,
    {},
    (MEMBERS[`user:default/${name}`] ?? []).map(targetRef => ({
      type: 'memberOf',
      targetRef,
    })),
  );
