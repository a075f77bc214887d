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

import { ChildProcess } from 'child_process';
import {
  expect,
  guestToken,
  screenshot,
  signIn,
  startLoadgen,
  test,
  waitForServiceEntity,
} from './fixtures';

/*
 * Canary by traffic weight (issue 19) in the browser: a service of the guest's team behind the demo namespace's
 * Gateway gets an image that answers ten times as slowly; its canary takes 30 % of the traffic that fusioninfer-loadgen
 * sends through the Gateway; the Canary section shows it paused by its TTFT gate with the breach in words; Roll back
 * (confirmed) puts all traffic back on the stable replicas and removes the canary, which the section and the live
 * route show.
 */

const NAME = 'canary-qwen';
const HOST = `${NAME}.demo.example.com`;
const SERVICE = `/api/fusioninfer/clusters/dev/namespaces/demo/services/${NAME}`;

const manifest = (image: string) => ({
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: {
    name: NAME,
    labels: { 'fusioninfer.io/owner': 'llm-apps' },
    annotations: {
      'fusioninfer.io/canary': JSON.stringify({
        steps: [30, 60],
        stepSeconds: 600,
        minRequests: 5,
        analysis: { maxTtftP95Ratio: 1.5 },
        onBreach: 'pause',
      }),
    },
  },
  spec: {
    roles: [
      {
        name: 'router',
        componentType: 'router',
        strategy: 'queue-size',
        httproute: {
          parentRefs: [{ name: 'inference-gateway' }],
          hostnames: [HOST],
        },
      },
      {
        name: 'inference',
        componentType: 'worker',
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'vllm',
                image,
                args: ['--model', 'Qwen/Qwen3-8B'],
              },
            ],
          },
        },
      },
    ],
  },
});

test('a slower canary is paused by its gate in the Canary section and rolled back in one click', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const token = await guestToken(request);
  const headers = { Authorization: `Bearer ${token}` };
  const apply = (image: string) =>
    request.post('/api/fusioninfer/apply', {
      headers,
      data: {
        cluster: 'dev',
        namespace: 'demo',
        update: true,
        manifest: manifest(image),
      },
    });
  const created = await apply('vllm/vllm-openai:v0.27.1');
  expect(created.status(), await created.text()).toBe(200);
  let loadgen: ChildProcess | undefined;
  try {
    await waitForServiceEntity(request, headers, NAME);
    await signIn(page, 'Guest');
    await page.goto(`/catalog/default/component/${NAME}.demo.dev/inference`);
    await expect(page.getByText(`dev / demo / ${NAME}`)).toBeVisible();
    const role = page.locator('[aria-label="Role inference"]').first();
    await expect(role).toContainText('2/2 replicas ready', {
      timeout: 90_000,
    });
    const canary = page.getByRole('region', { name: 'Canary' });
    // No canary yet: the first deploy is not one.
    await expect(canary).toHaveCount(0);

    // "-sluggish" (app-config.e2e.yaml): the new image's time to first token is ten times the stable's.
    const changed = await apply('vllm/vllm-openai:v0.27.2-sluggish');
    expect(changed.status(), await changed.text()).toBe(200);
    await expect(canary).toBeVisible({ timeout: 45_000 });
    await expect(canary).toContainText('Progressing', { timeout: 60_000 });
    await expect(canary).toContainText(/30 % of the traffic to the canary/, {
      timeout: 30_000,
    });
    // The stable replicas keep their image meanwhile.
    await expect(role).toContainText('2/2 replicas ready');
    await screenshot(page, 'canary-progressing');

    loadgen = startLoadgen([
      '--gateway',
      'inference-gateway',
      '--host',
      HOST,
      '--rps',
      '8',
      '--duration',
      '150',
      '--max-tokens',
      '16',
      '--prompt-mix',
      'random',
    ]);
    // The gate: the canary's TTFT p95 over 1.5 × the stable's pauses it, at its weight, with the breach in words.
    await expect(canary.getByText('Paused', { exact: true })).toBeVisible({
      timeout: 150_000,
    });
    await expect(canary).toContainText(/Breach: TTFT p95 .* the stable/);
    await screenshot(page, 'canary-paused');
    const paused = await (await request.get(SERVICE, { headers })).json();
    expect(paused.canary.state).toMatchObject({ phase: 'Paused', weight: 30 });

    await canary.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(
      'All traffic returns to the stable replicas',
    );
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await expect(canary.getByText('Rolled back', { exact: true })).toBeVisible({
      timeout: 30_000,
    });
    // All traffic on the stable pool (the live route), the canary's replicas gone, the stable ones untouched.
    await expect
      .poll(
        async () => {
          const d = await (await request.get(SERVICE, { headers })).json();
          return [
            d.canary.routeWeight,
            d.canary.canaryReplicas,
            d.canary.state.phase,
          ].join(' ');
        },
        { timeout: 30_000, intervals: [500] },
      )
      .toBe('0 0 RolledBack');
    await expect(role).toContainText('2/2 replicas ready');
    await expect(
      canary.getByRole('button', { name: 'Resume canary' }),
    ).toBeVisible();
    await screenshot(page, 'canary-rolled-back');
  } finally {
    loadgen?.kill();
    await page.goto('about:blank');
    await request.delete(SERVICE, { headers });
  }
});
