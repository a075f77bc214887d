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
  recordedEntityServices,
  recordedService,
  recordedServices,
} from './__testUtils__/recordedServices';
import { ServiceDetail } from './rest';
import { isGangRunning, serviceState } from './serviceState';

const INVALID = 'spec.roles[1].replicas: must be at least 0';

function setCondition(
  d: ServiceDetail,
  c: NonNullable<ServiceDetail['status']['conditions']>[number],
) {
  const list = (d.status.conditions ??= []);
  const i = list.findIndex(x => x.type === c.type);
  if (i >= 0) list[i] = c;
  else list.push(c);
  return d;
}

describe('serviceState on the recorded services', () => {
  it('reads a ready monolithic service with a router', () => {
    expect(serviceState(recordedService('entity-services-qwen'))).toEqual({
      kind: 'Ready',
      message: 'InferenceService is ready',
      ready: true,
      phase: 'Running',
      stale: false,
      generation: 1,
      observedGeneration: 1,
      progress: 'Running — inference 1/1 replicas ready, router ready',
      missing: [],
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 1,
          readyReplicas: 1,
          phase: 'Running',
          problems: [],
        },
      ],
      router: { name: 'router', ready: true },
      gang: { name: 'qwen-multi-node', phase: 'Running', running: true },
    });
  });

  it('reads a ready P/D service and a 64-pod service without router', () => {
    const pd = serviceState(recordedService('entity-services-pd'));
    expect(pd).toMatchObject({ kind: 'Ready', ready: true, missing: [] });
    expect(pd.progress).toBe(
      'Running — prefill-servers 2/2, decode-servers 2/2 replicas ready, router ready',
    );
    expect(pd.roles.map(r => r.componentType)).toEqual([
      'prefiller',
      'decoder',
    ]);
    const wide = serviceState(recordedService('entity-services-wide'));
    expect(wide).toMatchObject({ kind: 'Ready', ready: true });
    expect(wide.router).toBeUndefined();
    expect(wide.progress).toBe('Running — inference 32/32 replicas ready');
  });

  it('reads a gang that cannot be placed as Progressing, naming Volcano first', () => {
    const s = serviceState(recordedService('entity-services-gang'));
    expect(s).toMatchObject({
      kind: 'Progressing',
      message: 'InferenceService is being reconciled (0 of 1 replica ready)',
      ready: false,
      phase: 'Deploying',
      stale: false,
      progress: 'Deploying — inference 0/1 replicas ready',
      gang: { name: 'qwen-gang-stuck', phase: 'Pending', running: false },
    });
    expect(s.fatal).toBeUndefined();
    // No "pods not scheduled" line: the gang's line already says why.
    expect(s.missing).toEqual([
      'PodGroup qwen-gang-stuck cannot be placed (gang of 5 pods): 5/5 tasks in gang unschedulable: pod group is not ready, 5 Pending, 5 minAvailable; Pending: 2 Unschedulable, 3 Schedulable',
      'role inference: 0/1 replicas ready (Deploying)',
    ]);
  });

  it('reads a status of an older generation as Stale: never ready, counts from the current spec', () => {
    const d = recordedService('entity-services-qwen-stale');
    expect(d.status.observedGeneration).toBe(3);
    expect(d.generation).toBe(4);
    const s = serviceState(d);
    expect(s).toMatchObject({
      kind: 'Stale',
      message:
        'The status describes generation 3; the spec is at generation 4 and the controller has not reported on it yet',
      ready: false,
      phase: 'Updating',
      stale: true,
      generation: 4,
      observedGeneration: 3,
      // The status says 2/2 (generation 3); the spec asks for 3 and two LeaderWorkerSets have a ready group.
      progress: 'Updating — inference 2/3 replicas ready, router ready',
      missing: [
        'the controller has not observed generation 4 yet',
        // The PodGroup already asks for the new spec's pods.
        'PodGroup qwen-multi-node is Running with 4 of 9 required pods',
        'role inference: 2/3 replicas ready',
      ],
    });
    expect(s.roles[0].phase).toBeUndefined();
    // The other service of the same answer is current.
    expect(
      serviceState(recordedServices('entity-services-qwen-stale')[1]).kind,
    ).toBe('Ready');
  });

  it('keeps its invariants on every recorded service', () => {
    const names = recordedEntityServices();
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names)
      for (const d of recordedServices(name)) {
        const s = serviceState(d);
        expect(s.ready).toBe(s.kind === 'Ready');
        expect(s.missing.length === 0).toBe(s.ready);
        expect(s.progress.startsWith(s.phase)).toBe(true);
        expect(s.roles.map(r => r.name)).toEqual(d.roles.map(r => r.name));
      }
  });
});

describe('serviceState rules', () => {
  it('waits for a status the controller has not written yet', () => {
    const d = recordedService('entity-services-qwen');
    d.status = {};
    d.roles.forEach(r => delete r.status);
    const s = serviceState(d);
    expect(s).toMatchObject({
      kind: 'Progressing',
      message: 'Waiting for the controller to report status',
      ready: false,
      phase: 'Pending',
      stale: false,
    });
    expect(s.observedGeneration).toBeUndefined();
    expect(s.missing[0]).toBe('the controller has not reported a status yet');
    // Counts come from the live LeaderWorkerSets meanwhile.
    expect(s.roles[0]).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it('calls conditions without Active Unknown', () => {
    const d = recordedService('entity-services-qwen');
    d.status.conditions = d.status.conditions!.filter(c => c.type !== 'Active');
    expect(serviceState(d)).toMatchObject({
      kind: 'Unknown',
      message: 'No Active condition reported',
      ready: false,
    });
  });

  it('is stale when either the status or its Active condition lags; without any observedGeneration the status counts', () => {
    const d = recordedService('entity-services-qwen');
    d.generation = 2;
    d.status.observedGeneration = 2;
    expect(serviceState(d)).toMatchObject({
      stale: true,
      observedGeneration: 1,
    });
    d.status.conditions!.forEach(c => delete c.observedGeneration);
    expect(serviceState(d)).toMatchObject({ stale: false, ready: true });
    // Upstream's controller sets only status.observedGeneration.
    delete d.status.observedGeneration;
    expect(serviceState(d)).toMatchObject({ stale: false, ready: true });
    expect(serviceState(d).observedGeneration).toBeUndefined();
  });

  it('makes an invalid spec fatal, but not one reported for an older generation', () => {
    const d = recordedService('entity-services-qwen');
    setCondition(d, {
      type: 'Active',
      status: 'False',
      reason: 'InvalidSpec',
      message: INVALID,
      observedGeneration: 1,
    });
    setCondition(d, {
      type: 'Failed',
      status: 'True',
      reason: 'InferenceServiceFailed',
      message: INVALID,
      observedGeneration: 1,
    });
    expect(serviceState(d)).toMatchObject({
      kind: 'Failed',
      message: INVALID,
      ready: false,
      fatal: `the InferenceService is invalid: ${INVALID}`,
      progress: 'invalid spec',
      missing: [INVALID],
    });
    // The user fixed the spec; the controller has not looked yet.
    d.generation = 2;
    const fixed = serviceState(d);
    expect(fixed).toMatchObject({ kind: 'Stale', ready: false });
    expect(fixed.fatal).toBeUndefined();
  });

  it('is not ready while the last reconcile failed, and says why', () => {
    const d = setCondition(recordedService('entity-services-qwen'), {
      type: 'Failed',
      status: 'True',
      reason: 'InferenceServiceFailed',
      message: 'applying LeaderWorkerSet qwen-multi-node-inference-0: 422',
      observedGeneration: 1,
    });
    const s = serviceState(d);
    expect(s).toMatchObject({
      kind: 'Failed',
      message: 'applying LeaderWorkerSet qwen-multi-node-inference-0: 422',
      ready: false,
      missing: [
        'the last reconcile failed: applying LeaderWorkerSet qwen-multi-node-inference-0: 422',
      ],
    });
    expect(s.fatal).toBeUndefined();
    // Recovered: Failed=False.
    setCondition(d, {
      type: 'Failed',
      status: 'False',
      reason: 'InferenceServiceRecovered',
      message: 'The last reconcile succeeded',
    });
    expect(serviceState(d).ready).toBe(true);
  });

  it('calls an Active service with a crash-looping pod Degraded and names the pod', () => {
    const d = recordedService('entity-services-qwen');
    d.roles[0].replicas[0].pods[1].problem = 'CrashLoopBackOff';
    const s = serviceState(d);
    expect(s).toMatchObject({
      kind: 'Degraded',
      message: '1 pod failing (CrashLoopBackOff)',
      ready: false,
      missing: [`pod ${d.roles[0].replicas[0].pods[1].name}: CrashLoopBackOff`],
    });
    expect(s.roles[0].problems).toEqual([
      `${d.roles[0].replicas[0].pods[1].name}: CrashLoopBackOff`,
    ]);
  });

  it('names at most maxPodProblems crashing pods of a role short of replicas', () => {
    const d = recordedService('entity-services-qwen-scaled');
    setCondition(d, {
      type: 'Active',
      status: 'False',
      reason: 'InferenceServiceProcessing',
      message: 'InferenceService is being reconciled',
      observedGeneration: 2,
    });
    d.roles[0].status!.readyReplicas = 0;
    d.status.readyReplicas = 0;
    d.roles[0].replicas
      .flatMap(r => r.pods)
      .forEach(p => {
        p.problem = 'ImagePullBackOff';
      });
    const s = serviceState(d, { maxPodProblems: 1 });
    expect(s.kind).toBe('Degraded');
    expect(s.message).toBe('4 pods failing (ImagePullBackOff)');
    expect(s.missing).toEqual([
      'role inference: 0/2 replicas ready (Running)',
      `pod ${d.roles[0].replicas[0].pods[0].name}: ImagePullBackOff`,
    ]);
    expect(serviceState(d).missing).toHaveLength(4);
  });

  it('counts one replica in the singular and reads missing replicas as Degraded', () => {
    const d = recordedService('entity-services-qwen');
    d.status.readyReplicas = 0;
    expect(serviceState(d)).toMatchObject({
      kind: 'Degraded',
      message: '0 of 1 replica ready',
      ready: false,
    });
  });

  it('needs the endpoint picker of a router', () => {
    const d = recordedService('entity-services-qwen');
    d.router!.epp!.ready = false;
    expect(serviceState(d)).toMatchObject({
      kind: 'Degraded',
      message: 'endpoint picker not ready',
      progress: 'Running — inference 1/1 replicas ready, router not ready',
      router: { ready: false },
      missing: ['endpoint picker not ready'],
    });
    d.router!.epp!.problems = [
      {
        pod: 'qwen-multi-node-epp-1',
        reason: 'CrashLoopBackOff',
        message: "plugin type 'pd-profile-handler' is not found in registry",
      },
    ];
    expect(serviceState(d)).toMatchObject({
      message: 'endpoint picker failing (CrashLoopBackOff)',
      missing: [
        "endpoint picker not ready: qwen-multi-node-epp-1: CrashLoopBackOff (plugin type 'pd-profile-handler' is not found in registry)",
      ],
    });
    delete d.router!.epp;
    expect(serviceState(d).missing).toEqual([
      'endpoint picker not created yet',
    ]);
  });

  it('reads a child owned by someone else as Degraded', () => {
    const d = setCondition(recordedService('entity-services-qwen'), {
      type: 'ChildConflict',
      status: 'True',
      reason: 'ForeignObject',
      message: 'HTTPRoute qwen-multi-node-route is controlled by another owner',
    });
    expect(serviceState(d)).toMatchObject({
      kind: 'Degraded',
      message: 'HTTPRoute qwen-multi-node-route is controlled by another owner',
      missing: [
        'HTTPRoute qwen-multi-node-route is controlled by another owner',
      ],
    });
  });

  it('reads the gang by its phase: a leftover Unschedulable does not count, a pending gang names its short tasks', () => {
    const d = recordedService('entity-services-qwen');
    d.gang!.unschedulable = recordedService(
      'entity-services-gang',
    ).gang!.unschedulable;
    setCondition(d, {
      type: 'Active',
      status: 'False',
      reason: 'InferenceServiceProcessing',
      message: 'InferenceService is being reconciled',
      observedGeneration: 1,
    });
    expect(serviceState(d).missing.join('\n')).not.toMatch(/PodGroup/);
    const gang = recordedService('entity-services-gang');
    delete gang.gang!.unschedulable;
    expect(serviceState(gang).missing).toEqual([
      'PodGroup qwen-gang-stuck is Pending (inference-0: 0/5 scheduled)',
      'role inference: 0/1 replicas ready (Deploying)',
      'role inference: 5 pod(s) not scheduled yet',
    ]);
  });
});

describe('isGangRunning', () => {
  it.each([
    [{ phase: 'Running', running: 4, minMember: 4 }, true],
    [{ phase: 'Running', running: 3, minMember: 4 }, false],
    [{ phase: 'Completed', running: 0, minMember: 4 }, true],
    [{ phase: 'Inqueue', running: 4, minMember: 4 }, false],
    [{ phase: 'Pending', running: 0 }, false],
    [{ phase: 'Unknown', running: 2, minMember: 4 }, false],
  ])('%o → %s', (gang, running) => {
    expect(isGangRunning(gang)).toBe(running);
  });
});
