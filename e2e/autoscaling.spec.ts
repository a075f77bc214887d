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
 * The role autoscaler (issue 20) in the browser: the demo's qwen-inference carries an advisory policy, whose
 * recommendation the Autoscaling section shows; a service of the guest's team with an acting policy is scaled up by
 * the autoscaler while fusioninfer-loadgen sends it more than one replica serves, and is deleted afterwards.
 */

const inferenceTab = (name: string) =>
  `/catalog/default/component/${name}.demo.dev/inference`;

test("the Autoscaling section shows the advisory recommendation of the demo's qwen-inference", async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('qwen-inference'));
  await expect(page.getByText('dev / demo / qwen-inference')).toBeVisible();
  await page.getByRole('tab', { name: 'Autoscaling' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Autoscaling' });
  const table = panel.getByRole('table', { name: 'Autoscaling by role' });
  const row = table.getByRole('row').nth(1);
  await expect(row).toContainText('inference1–4 replicas');
  await expect(row).toContainText('advisory');
  // The backend decides every 15 s: the first decision shows the signal and the recommendation against the actual.
  await expect(row).toContainText(
    /Requests waiting per replica [\d.]+ \(target 2\)vllm:num_requests_waiting/,
    { timeout: 60_000 },
  );
  await expect(row).toContainText(/\d+ recommended( [↑↓])? · \d+ actual/);
  await expect(panel).toContainText(/Decided \d+s ago · every 15 s/);
  await screenshot(page, 'autoscaling-advisory');
});

test('an acting policy: the autoscaler scales the role up under load, and the section says so', async ({
  page,
  request,
}) => {
  const token = await guestToken(request);
  const headers = { Authorization: `Bearer ${token}` };
  const name = 'autoscaled-qwen';
  // One worker role, one request at a time (so load makes a queue), acting between 1 and 3 replicas.
  const manifest = {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      labels: { 'fusioninfer.io/owner': 'llm-apps' },
      annotations: {
        'fusioninfer.io/autoscaling': JSON.stringify({
          inference: {
            minReplicas: 1,
            maxReplicas: 3,
            signal: 'waitingRequests',
            target: 1,
            mode: 'acting',
          },
        }),
      },
    },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 1,
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.27.1',
                  args: ['--model', 'Qwen/Qwen3-8B', '--max-num-seqs', '1'],
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      ],
    },
  };
  const applied = await request.post('/api/fusioninfer/apply', {
    headers,
    data: { cluster: 'dev', namespace: 'demo', manifest },
  });
  expect(applied.status(), await applied.text()).toBe(200);
  let loadgen: ChildProcess | undefined;
  try {
    // The catalog module generates the service's entity; its page exists once the catalog has it.
    await waitForServiceEntity(request, headers, name);
    await signIn(page, 'Guest');
    await page.goto(inferenceTab(name));
    await expect(page.getByText(`dev / demo / ${name}`)).toBeVisible();
    await expect(
      page.locator('[aria-label="Role inference"]').first(),
    ).toContainText('1/1 replica ready', { timeout: 90_000 });
    await page.getByRole('tab', { name: 'Autoscaling' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Autoscaling' });
    const row = panel
      .getByRole('table', { name: 'Autoscaling by role' })
      .getByRole('row')
      .nth(1);
    await expect(row).toContainText('acting');
    await expect(row).toContainText(/1 recommended · 1 actual/, {
      timeout: 60_000,
    });
    loadgen = startLoadgen([
      '--service',
      name,
      '--rps',
      '6',
      '--duration',
      '60',
      '--max-tokens',
      '48',
    ]);
    // The queue passes one per replica; within a decision interval (15 s) or two the autoscaler scales the role on
    // the InferenceService, the reconciler renders the replica, and the section shows what it did.
    await expect(row).toContainText(/scaled — inference 1 → [23]/, {
      timeout: 90_000,
    });
    await expect(row).toContainText(/\d+ recommended( [↑↓])? · [23] actual/);
    await screenshot(page, 'autoscaling-acting');
    await page.getByRole('tab', { name: 'Status' }).click();
    await expect(
      page.locator('[aria-label="Role inference"]').first(),
    ).toContainText(/[23]\/[23] replicas ready/, { timeout: 90_000 });
  } finally {
    loadgen?.kill();
    // Away from the page first: its polling would otherwise see the deleted service's 404s.
    await page.goto('about:blank');
    await request.delete(
      `/api/fusioninfer/clusters/dev/namespaces/demo/services/${name}`,
      { headers },
    );
  }
});
