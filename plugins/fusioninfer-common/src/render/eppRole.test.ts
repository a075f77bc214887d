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

import { renderInferenceService } from './index';
import { PolicyRule, RbacRole } from '../types';
import { loadExample } from '../__testUtils__/examples';

/** RBAC evaluation of one request against a Role's rules (as the API server's authorizer does it). */
const allows = (
  rules: PolicyRule[],
  verb: string,
  group: string,
  resource: string,
  name?: string,
) =>
  rules.some(
    r =>
      (r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
      (r.resources.includes(resource) || r.resources.includes('*')) &&
      (r.verbs.includes(verb) || r.verbs.includes('*')) &&
      (!r.resourceNames?.length || (!!name && r.resourceNames.includes(name))),
  );

describe('the generated EPP Role (review L6)', () => {
  const isvc = loadExample('monolithic-router-qwen');
  const role = renderInferenceService(isvc, {
    namespace: 'team-a',
  }).children.find(c => c.kind === 'Role') as RbacRole;
  const svc = isvc.metadata.name;
  const eppLease = `epp-team-a-${svc}-pool.gateway-api-inference-extension.sigs.k8s.io`;

  it('lets the EPP run its own leader election (create, then get/update its Lease)', () => {
    for (const verb of ['get', 'update'])
      expect(
        allows(role.rules, verb, 'coordination.k8s.io', 'leases', eppLease),
      ).toBe(true);
    expect(allows(role.rules, 'create', 'coordination.k8s.io', 'leases')).toBe(
      true,
    );
  });

  it('cannot write any other Lease of the namespace (such as a reconciler Lease placed there)', () => {
    for (const verb of ['get', 'update', 'patch', 'delete', 'list', 'watch'])
      expect(
        allows(
          role.rules,
          verb,
          'coordination.k8s.io',
          'leases',
          'fusioninfer-backstage-reconciler',
        ),
      ).toBe(false);
    expect(
      allows(role.rules, 'delete', 'coordination.k8s.io', 'leases', eppLease),
    ).toBe(false);
  });
});
