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
 * three users in three teams (the harness's `teams`), a permission policy deciding by ownership, and catalog entities
 * of users and components.
 */

import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import type { TestPolicy } from '@fusioninfer/test-utils/backend';

export const BOB = 'user:default/bob';
export const MALLORY = 'user:default/mallory';
export const CAROL = 'user:default/carol';

/** The teams each user belongs to. */
export const MEMBERS: Record<string, string[]> = {
  [BOB]: ['group:default/team-b'],
  [MALLORY]: ['group:default/team-m'],
  [CAROL]: ['group:default/approvers'],
};

/**
 * A permission policy: `fusioninfer.service.update`/`.delete` only on the entities `owns` lists for the user (what
 * the catalog's isEntityOwner would answer), the `approverOnly` permissions only for Carol, `fusioninfer.project.read`
 * only on the projects `sees` lists for a user it names; everything else allowed.
 */
export function ownersOnlyPolicy(o: {
  owns: Record<string, string[]>;
  approverOnly?: string[];
  sees?: Record<string, string[]>;
}): TestPolicy {
  const approverOnly = o.approverOnly ?? ['fusioninfer.approval.decide'];
  return {
    authorize: ({ permission, resourceRef = '', user = '' }) => {
      if (
        permission === 'fusioninfer.service.update' ||
        permission === 'fusioninfer.service.delete'
      )
        return (o.owns[user] ?? []).includes(resourceRef);
      if (approverOnly.includes(permission)) return user === CAROL;
      if (permission === 'fusioninfer.project.read' && o.sees?.[user])
        return o.sees[user].includes(resourceRef);
      return true;
    },
  };
}

/** A catalog entity in namespace default. */
export const entity = (
  kind: string,
  name: string,
  spec: JsonObject,
  relations: Array<{ type: string; targetRef: string }> = [],
): Entity => ({
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
