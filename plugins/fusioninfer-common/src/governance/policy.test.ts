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

import { minimalInferenceService } from '@fusioninfer/test-utils';
import { InferenceService } from '../types';
import { evaluateChange, isShrinkOnly } from './policy';
import {
  isProtectedNamespace,
  projectAllowsDestination,
  projectOfOwner,
  TeamProject,
} from './projects';

const svc = (
  replicas = 1,
  gpus = 1,
  extra: Record<string, unknown> = {},
): InferenceService => {
  const s = minimalInferenceService('m', {
    namespace: 'team-a',
    replicas,
  }) as any;
  s.spec.roles[0].template.spec.containers[0].resources = {
    limits: { 'nvidia.com/gpu': String(gpus) },
  };
  Object.assign(s.spec.roles[0].template.spec, extra);
  return s;
};

const teamA: TeamProject = {
  name: 'team-a',
  owners: ['group:default/team-a'],
  destinations: [
    { cluster: 'dev', namespaces: ['team-a', 'team-a-*', 'kube-public'] },
  ],
  gpuQuota: { dev: 8 },
  approvals: { maxGpusWithoutApproval: 4 },
};

describe('team projects', () => {
  it('selects the project by owner group (bare names are groups) and allows only its destinations', () => {
    expect(projectOfOwner([teamA], 'team-a')).toBe(teamA);
    expect(projectOfOwner([teamA], 'group:default/team-b')).toBeUndefined();
    expect(projectAllowsDestination(teamA, 'dev', 'team-a')).toBe(true);
    expect(projectAllowsDestination(teamA, 'dev', 'team-a-canary')).toBe(true);
    expect(projectAllowsDestination(teamA, 'prod', 'team-a')).toBe(false);
    expect(projectAllowsDestination(teamA, 'dev', 'team-b')).toBe(false);
  });

  it('opens protected namespaces only by exact name, never through a pattern', () => {
    const wild: TeamProject = {
      ...teamA,
      destinations: [{ cluster: 'dev', namespaces: ['*', 'kube-*'] }],
    };
    expect(isProtectedNamespace('kube-system')).toBe(true);
    expect(
      isProtectedNamespace('fusioninfer-system', ['fusioninfer-system']),
    ).toBe(true);
    expect(projectAllowsDestination(wild, 'dev', 'kube-system')).toBe(false);
    expect(projectAllowsDestination(wild, 'dev', 'anything')).toBe(true);
    expect(
      projectAllowsDestination(wild, 'dev', 'fusioninfer-system', [
        'fusioninfer-system',
      ]),
    ).toBe(false);
    expect(projectAllowsDestination(teamA, 'dev', 'kube-public')).toBe(true);
  });
});

describe('evaluateChange', () => {
  const base = {
    cluster: 'dev',
    namespace: 'team-a',
    projects: [teamA],
    project: teamA,
    owner: 'group:default/team-a',
  };

  it('refuses a destination outside the project and an owner without project, naming field and rule', () => {
    const v = evaluateChange({
      ...base,
      action: 'create',
      namespace: 'team-b',
      next: svc(),
    });
    expect(v.allowed).toBe(false);
    expect(v.denials[0]).toMatchObject({
      field: 'metadata.namespace',
      rule: 'project.destination',
    });
    const none = evaluateChange({
      ...base,
      project: undefined,
      action: 'create',
      next: svc(),
    });
    expect(none.denials[0].rule).toBe('project');
  });

  it('without projects, refuses kube-* unless the cluster lists it by name', () => {
    const next = svc();
    expect(
      evaluateChange({
        action: 'create',
        cluster: 'dev',
        namespace: 'kube-system',
        next,
      }).allowed,
    ).toBe(false);
    expect(
      evaluateChange({
        action: 'create',
        cluster: 'dev',
        namespace: 'kube-system',
        next,
        explicitNamespaces: ['kube-system'],
      }).allowed,
    ).toBe(true);
    expect(
      evaluateChange({
        action: 'create',
        cluster: 'dev',
        namespace: 'ml',
        next,
      }).allowed,
    ).toBe(true);
  });

  it('holds growth over the project threshold and refuses growth over the quota, even a change already over it', () => {
    expect(
      evaluateChange({
        ...base,
        action: 'create',
        next: svc(4),
        projectGpusInUse: 0,
      }),
    ).toMatchObject({ allowed: true, approvalRequired: false });
    expect(
      evaluateChange({
        ...base,
        action: 'create',
        next: svc(5),
        projectGpusInUse: 0,
      }),
    ).toMatchObject({ allowed: true, approvalRequired: true });
    const over = evaluateChange({
      ...base,
      action: 'create',
      next: svc(5),
      projectGpusInUse: 4,
    });
    expect(over).toMatchObject({
      allowed: false,
      quota: { limit: 8, before: 4, after: 9 },
    });
    expect(over.denials.map(d => d.rule)).toEqual(['project.quota']);
    // The refusal says how to get more.
    expect(over.denials[0].message).toMatch(
      /over its quota of 8; an approver with fusioninfer\.project\.quota\.update can raise it/,
    );
    // Shrinking a service while the project is over quota is allowed (it lowers use).
    const shrink = evaluateChange({
      ...base,
      action: 'scale',
      previous: svc(6),
      next: svc(5),
      projectGpusInUse: 4,
    });
    expect(shrink).toMatchObject({
      allowed: true,
      approvalRequired: false,
      shrinkOnly: true,
    });
  });

  it('the project threshold replaces only the global fields it sets', () => {
    const v = evaluateChange({
      ...base,
      action: 'create',
      next: svc(3),
      approvals: { maxPodsWithoutApproval: 2, maxGpusWithoutApproval: 1 },
    });
    expect(v.reasons).toEqual(['3 pods requested; more than 2 need approval']);
  });

  it('refuses pod-security violations the live service does not already have', () => {
    const priv = svc(1, 1, { hostNetwork: true });
    const created = evaluateChange({ ...base, action: 'create', next: priv });
    expect(created.allowed).toBe(false);
    expect(created.denials[0].field).toMatch(/hostNetwork/);
    // A scale of a service that already had it is not refused for it (nothing new).
    const scaled = evaluateChange({
      ...base,
      action: 'scale',
      previous: priv,
      next: svc(2, 1, { hostNetwork: true }),
    });
    expect(scaled.denials).toEqual([]);
    expect(scaled.podSecurity.violations.length).toBeGreaterThan(0);
    expect(
      evaluateChange({
        ...base,
        project: { ...teamA, podSecurity: { level: 'privileged' } },
        action: 'create',
        next: priv,
      }).allowed,
    ).toBe(true);
  });

  it('holds DRA claims unless the project allows them', () => {
    const dra = svc(1, 0, {
      resourceClaims: [{ name: 'g', resourceClaimTemplateName: 'h200' }],
    });
    expect(
      evaluateChange({ ...base, action: 'create', next: dra }).approvalRequired,
    ).toBe(true);
    expect(
      evaluateChange({
        ...base,
        project: { ...teamA, allowResourceClaims: true },
        action: 'create',
        next: dra,
      }).approvalRequired,
    ).toBe(false);
  });

  it('never refuses or holds a delete', () => {
    expect(
      evaluateChange({
        ...base,
        action: 'delete',
        namespace: 'kube-system',
        approvals: { always: true },
      }),
    ).toMatchObject({ allowed: true, approvalRequired: false });
  });
});

describe('isShrinkOnly', () => {
  it('is true only when the specs are equal apart from lower replica counts', () => {
    expect(isShrinkOnly(svc(2), svc(1))).toBe(true);
    expect(isShrinkOnly(svc(2), svc(2))).toBe(false);
    expect(isShrinkOnly(svc(1), svc(2))).toBe(false);
    const changed = svc(1);
    (changed.spec.roles[0] as any).template.spec.containers[0].image =
      'other:1';
    expect(isShrinkOnly(svc(2), changed)).toBe(false);
    const relabelled = svc(1);
    relabelled.metadata.labels = { x: 'y' };
    expect(isShrinkOnly(svc(2), relabelled)).toBe(false);
    expect(isShrinkOnly(undefined, svc(1))).toBe(false);
  });
});
