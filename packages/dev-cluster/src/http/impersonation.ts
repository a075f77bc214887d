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

/* Who a request runs as when it impersonates (kubectl --as, --as-group, --as-uid). */

import { IncomingMessage } from 'http';
import { ApiError } from '../errors';
import { Authorizer, splitServiceAccountUsername, UserInfo } from '../rbac';

/**
 * Impersonation (`kubectl --as` / `--as-group` / `--as-uid`, the Impersonate-User / Impersonate-Group /
 * Impersonate-Uid headers), checked as kube-apiserver does: the caller needs the `impersonate` verb on `users`
 * (core group) named by the user, or, for a ServiceAccount user `system:serviceaccount:<ns>:<name>`, on
 * `serviceaccounts` in namespace `<ns>` named `<name>`; on `groups` for each group and on `uids` of
 * `authentication.k8s.io` for a uid (system:masters has them all). The request then runs as that user: with the
 * listed groups, or without them a ServiceAccount's `system:serviceaccounts` and `system:serviceaccounts:<ns>`,
 * plus system:authenticated (system:unauthenticated for system:anonymous).
 */
export function impersonate(
  authorizer: Authorizer,
  req: IncomingMessage,
  caller: UserInfo,
): UserInfo {
  const all = (h: string) =>
    (req.headersDistinct[h] ?? []).flatMap(v =>
      h === 'impersonate-group' ? v.split(',').map(g => g.trim()) : [v],
    );
  const [username] = all('impersonate-user');
  const groups = all('impersonate-group').filter(Boolean);
  const [uid] = all('impersonate-uid');
  if (username === undefined) {
    if (groups.length > 0 || uid !== undefined)
      throw new ApiError(
        500,
        'InternalError',
        'requested impersonation of groups or uid without impersonating a user',
      );
    return caller;
  }
  const check = (
    resource: string,
    name: string,
    apiGroup = '',
    namespace?: string,
  ) =>
    authorizer.authorize(caller, {
      resourceRequest: true,
      verb: 'impersonate',
      apiGroup,
      resource,
      name,
      ...(namespace ? { namespace } : {}),
    });
  const sa = splitServiceAccountUsername(username);
  if (sa) check('serviceaccounts', sa.name, '', sa.namespace);
  else check('users', username);
  for (const g of groups) check('groups', g);
  if (uid !== undefined) check('uids', uid, 'authentication.k8s.io');
  const impersonated =
    groups.length > 0 || !sa
      ? groups
      : ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
  // system:authenticated unless given (or system:unauthenticated is); system:unauthenticated for the anonymous user
  const anonymous = username === 'system:anonymous';
  const authenticated = impersonated.some(
    g =>
      g === 'system:unauthenticated' ||
      (!anonymous && g === 'system:authenticated'),
  )
    ? []
    : [anonymous ? 'system:unauthenticated' : 'system:authenticated'];
  return {
    username,
    ...(uid !== undefined ? { uid } : {}),
    groups: [...new Set([...impersonated, ...authenticated])],
  };
}
