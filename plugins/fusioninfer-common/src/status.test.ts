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

import { loadExample } from './__testUtils__/examples';
import { renderInferenceService } from './render';
import { deriveStatus } from './status';
import { Deployment, InferenceService, LeaderWorkerSet, Pod } from './types';

const T0 = '2026-11-24T10:00:00Z';
const T1 = '2026-11-24T10:05:00Z';

function withGen(isvc: InferenceService, generation = 1): InferenceService {
  return {
    ...isvc,
    metadata: { ...isvc.metadata, namespace: 'default', generation },
  };
}

function lwsOf(
  isvc: InferenceService,
  ready: (name: string) => number,
): LeaderWorkerSet[] {
  return (
    renderInferenceService(isvc).children.filter(
      c => c.kind === 'LeaderWorkerSet',
    ) as LeaderWorkerSet[]
  ).map(l => ({
    ...l,
    status: { replicas: 1, readyReplicas: ready(l.metadata.name!) },
  }));
}

const readyEpp = (available = 1): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x-epp' },
  spec: {} as any,
  status: { availableReplicas: available, readyReplicas: available },
});

describe('deriveStatus', () => {
  it('starts Pending with Initialized and Active=False/Processing', () => {
    const isvc = withGen(loadExample('monolithic-no-router'));
    const { status, changed } = deriveStatus(isvc, {}, { now: T0 });
    expect(changed).toBe(true);
    expect(status.observedGeneration).toBe(1);
    expect(status.components).toEqual({
      inference: {
        desiredReplicas: 1,
        readyReplicas: 0,
        nodesPerReplica: 1,
        totalPods: 1,
        readyPods: 0,
        phase: 'Pending',
        lastUpdateTime: T0,
      },
    });
    expect(status.conditions).toEqual([
      {
        type: 'Initialized',
        status: 'True',
        reason: 'InferenceServiceCreating',
        message: 'InferenceService initialized',
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
      {
        type: 'Active',
        status: 'False',
        reason: 'InferenceServiceProcessing',
        message: 'InferenceService is being reconciled',
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
    ]);
    expect(status.phase).toBe('Pending');
  });

  it('becomes Running and Active once every replica is ready (spec §3.13 numbers)', () => {
    const isvc = withGen(loadExample('monolithic-router-qwen'));
    const { status } = deriveStatus(
      isvc,
      { leaderWorkerSets: lwsOf(isvc, () => 1), eppDeployment: readyEpp() },
      { now: T0 },
    );
    expect(status.components!.inference).toMatchObject({
      desiredReplicas: 1,
      readyReplicas: 1,
      nodesPerReplica: 1,
      totalPods: 1,
      readyPods: 1,
      phase: 'Running',
    });
    expect(status.components!.router).toMatchObject({
      desiredReplicas: 1,
      readyReplicas: 1,
      phase: 'Running',
    });
    expect(status.conditions!.find(c => c.type === 'Active')).toMatchObject({
      status: 'True',
      reason: 'InferenceServiceAvailable',
    });
    expect(status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      phase: 'Running',
    });
  });

  it('counts readiness per LWS group (multi-node: readyPods = groups × nodes) and is Deploying in between', () => {
    const isvc = withGen(loadExample('multi-node-deepseek-no-router'));
    const { status } = deriveStatus(
      isvc,
      { leaderWorkerSets: lwsOf(isvc, n => (n.endsWith('-0') ? 1 : 0)) },
      { now: T0 },
    );
    expect(status.components!.inference).toMatchObject({
      desiredReplicas: 2,
      readyReplicas: 1,
      nodesPerReplica: 4,
      totalPods: 8,
      readyPods: 4,
      phase: 'Deploying',
    });
  });

  it('counts ready pods individually when pods are known, and marks crash loops Failed', () => {
    const isvc = withGen(loadExample('multi-node-deepseek-no-router'));
    const pod = (
      name: string,
      replica: string,
      ready: boolean,
      waiting?: string,
    ): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        labels: {
          'fusioninfer.io/service': 'deepseek-r1-inference',
          'fusioninfer.io/role-name': 'inference',
          'fusioninfer.io/replica-index': replica,
        },
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: [
          {
            name: 'vllm',
            ready,
            restartCount: waiting ? 5 : 0,
            state: waiting ? { waiting: { reason: waiting } } : { running: {} },
          },
        ],
      },
    });
    const pods = [
      pod('a', '0', true),
      pod('b', '0', true),
      pod('c', '0', false, 'CrashLoopBackOff'),
    ];
    const { status } = deriveStatus(
      isvc,
      { leaderWorkerSets: lwsOf(isvc, () => 0), pods },
      { now: T0 },
    );
    expect(status.components!.inference).toMatchObject({
      readyPods: 2,
      readyReplicas: 0,
      phase: 'Failed',
    });
    expect(status.phase).toBe('Failed');
  });

  it('changes nothing at steady state (no timestamp churn, upstream gap 4)', () => {
    const isvc = withGen(loadExample('single-node-router-2-replicas'));
    const observed = {
      leaderWorkerSets: lwsOf(isvc, () => 1),
      eppDeployment: readyEpp(),
    };
    const first = deriveStatus(isvc, observed, { now: T0 });
    const second = deriveStatus({ ...isvc, status: first.status }, observed, {
      now: T1,
    });
    expect(second.changed).toBe(false);
    expect(second.status).toEqual(first.status);
  });

  it('keeps lastTransitionTime while a condition keeps its status, moves it on a flip', () => {
    const isvc = withGen(loadExample('monolithic-no-router'));
    const a = deriveStatus(isvc, {}, { now: T0 }).status;
    const b = deriveStatus(
      { ...isvc, status: a },
      { leaderWorkerSets: lwsOf(isvc, () => 1) },
      { now: T1 },
    ).status;
    expect(
      b.conditions!.find(c => c.type === 'Initialized')!.lastTransitionTime,
    ).toBe(T0);
    expect(b.conditions!.find(c => c.type === 'Active')).toMatchObject({
      status: 'True',
      lastTransitionTime: T1,
    });
    expect(b.components!.inference.lastUpdateTime).toBe(T1);
  });

  it('sets Failed on error and clears it on recovery (upstream gap 3)', () => {
    const isvc = withGen(loadExample('monolithic-no-router'));
    const failed = deriveStatus(
      isvc,
      {},
      { now: T0, error: 'failed to reconcile LWS: boom' },
    ).status;
    expect(failed.conditions!.find(c => c.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'InferenceServiceFailed',
      message: 'failed to reconcile LWS: boom',
      observedGeneration: 1,
    });
    const recovered = deriveStatus(
      { ...isvc, status: failed },
      { leaderWorkerSets: lwsOf(isvc, () => 1) },
      { now: T1 },
    ).status;
    expect(recovered.conditions!.find(c => c.type === 'Failed')).toMatchObject({
      status: 'False',
      reason: 'InferenceServiceRecovered',
      lastTransitionTime: T1,
    });
    expect(recovered.conditions!.find(c => c.type === 'Active')!.status).toBe(
      'True',
    );
  });

  it('reports an invalid spec as Failed and Active=False/InvalidSpec', () => {
    const isvc = withGen(loadExample('monolithic-no-router'), 3);
    const { status } = deriveStatus(
      isvc,
      {},
      { now: T0, invalid: 'spec.roles[0].replicas: must be >= 0' },
    );
    expect(status.conditions!.find(c => c.type === 'Active')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      observedGeneration: 3,
    });
    expect(status.conditions!.find(c => c.type === 'Failed')).toMatchObject({
      status: 'True',
      message: 'spec.roles[0].replicas: must be >= 0',
    });
    expect(status.phase).toBe('Failed');
  });

  it('drops components of removed roles and treats zero replicas as Running', () => {
    const isvc = withGen(loadExample('monolithic-no-router'));
    const prev = deriveStatus(isvc, {}, { now: T0 }).status;
    const renamed = JSON.parse(JSON.stringify(isvc));
    renamed.spec.roles[0].name = 'serve';
    renamed.spec.roles[0].replicas = 0;
    const { status } = deriveStatus(
      { ...renamed, status: prev },
      {},
      { now: T1 },
    );
    expect(Object.keys(status.components!)).toEqual(['serve']);
    expect(status.components!.serve.phase).toBe('Running');
  });

  it('moves observedGeneration when the spec generation moves', () => {
    const isvc = withGen(loadExample('monolithic-no-router'));
    const a = deriveStatus(isvc, {}, { now: T0 }).status;
    const b = deriveStatus({ ...withGen(isvc, 2), status: a }, {}, { now: T0 });
    expect(b.changed).toBe(true);
    expect(b.status.observedGeneration).toBe(2);
    expect(b.status.conditions!.every(c => c.observedGeneration === 2)).toBe(
      true,
    );
  });
});
