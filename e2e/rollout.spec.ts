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
  expect,
  guestToken,
  newIdentityPage,
  screenshot,
  signIn,
  test,
  waitForServiceEntity,
} from './fixtures';

/*
 * GPU-safe rollouts (issue 19) in the browser: a 4-replica service of the guest's team gets a new image that starts
 * slowly; the Status section's Rollout panel shows the replicas moving in waves, Pause holds the rollout part-way,
 * Resume lets it finish, and the panel goes once every replica runs the new spec.
 */

const NAME = 'rolling-qwen';
const SERVICE = `/api/fusioninfer/clusters/dev/namespaces/demo/services/${NAME}`;

/** Four replicas of one worker role, two of which may be down at once; no GPUs, so nothing else is crowded out. */
const manifest = (image: string) => ({
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: {
    name: NAME,
    labels: { 'fusioninfer.io/owner': 'llm-apps' },
    annotations: {
      'fusioninfer.io/rollout': JSON.stringify({
        inference: { maxUnavailable: 2 },
      }),
    },
  },
  spec: {
    roles: [
      {
        name: 'inference',
        componentType: 'worker',
        replicas: 4,
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

test('an image change rolls a 4-replica role in waves; Pause holds it, Resume finishes it', async ({
  browser,
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
  try {
    await waitForServiceEntity(request, headers, NAME);
    await signIn(page, 'Guest');
    await page.goto(`/catalog/default/component/${NAME}.demo.dev/inference`);
    await expect(page.getByText(`dev / demo / ${NAME}`)).toBeVisible();
    const role = page.locator('[aria-label="Role inference"]').first();
    await expect(role).toContainText('4/4 replicas ready', {
      timeout: 90_000,
    });
    // No rollout yet: the first deploy is not one.
    await expect(page.getByText('Rollout of inference')).toHaveCount(0);

    // "-slowstart": each replica at the new image takes 10 × the start-up delay to be Ready.
    const changed = await apply('vllm/vllm-openai:v0.27.2-slowstart');
    expect(changed.status(), await changed.text()).toBe(200);
    const panel = page.getByRole('region', { name: 'Rollout of inference' });
    await expect(panel).toBeVisible({ timeout: 45_000 });
    await expect(panel).toContainText(
      /[12] of 4 replicas at the new spec · [0-2] Ready/,
    );
    await expect(panel).toContainText('Policy: at most 2 down, 0 surge');
    await expect(panel).toContainText(
      /Waits: waiting for replicas? [\d, ]+ to be Ready/,
    );
    await screenshot(page, 'rollout-progress');

    await panel
      .getByRole('button', { name: 'Pause rollout of inference' })
      .click();
    await expect(panel.getByText('Paused', { exact: true })).toBeVisible({
      timeout: 30_000,
    });
    await expect(panel).toContainText(
      /Paused: paused with [1-3] of 4 replicas at the old spec/,
    );
    const live = await request.get(SERVICE, { headers });
    const rollout = (await live.json()).roles[0].rollout;
    expect(rollout).toMatchObject({ paused: true, phase: 'paused' });
    // Held: while paused, the replicas at the old spec stay there (the moved wave may become Ready meanwhile).
    await expect(panel).toContainText(
      new RegExp(`${rollout.updatedReplicas} of 4 replicas at the new spec`),
    );
    await screenshot(page, 'rollout-paused');

    // Someone of another team (the approver, ml-platform) sees the rollout and why they cannot resume it.
    const other = await newIdentityPage(browser, 'Approver');
    try {
      await other.page.goto(
        `/catalog/default/component/${NAME}.demo.dev/inference`,
      );
      const theirs = other.page.getByRole('region', {
        name: 'Rollout of inference',
      });
      const disabled = theirs.getByRole('button', {
        name: 'Resume rollout of inference',
      });
      await expect(disabled).toBeDisabled({ timeout: 30_000 });
      await disabled.locator('..').hover();
      const tooltip = other.page.getByRole('tooltip');
      await expect(tooltip).toHaveText(
        `Needs fusioninfer.service.update on component:default/${NAME}.demo.dev`,
      );
      // faded in, for the screenshot
      await expect(tooltip.locator('[class*="MuiTooltip-tooltip"]')).toHaveCSS(
        'opacity',
        '1',
      );
      await screenshot(other.page, 'rollout-paused-other-team');
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
    }

    const resume = panel.getByRole('button', {
      name: 'Resume rollout of inference',
    });
    await expect(resume).toBeEnabled();
    await resume.click();
    // Complete once every replica runs the new spec (the reconciler's RolloutProgressing: False/Complete): the panel
    // goes, and the last wave becomes Ready.
    await expect(panel).toHaveCount(0, { timeout: 150_000 });
    await expect(role).toContainText('4/4 replicas ready', {
      timeout: 60_000,
    });
    await screenshot(page, 'rollout-complete');
    const done = await (await request.get(SERVICE, { headers })).json();
    expect(
      done.status.conditions.find(
        (c: { type: string }) => c.type === 'RolloutProgressing',
      ),
    ).toMatchObject({ status: 'False', reason: 'Complete' });
  } finally {
    // Away from the page first: its polling would otherwise see the deleted service's 404s.
    await page.goto('about:blank');
    await request.delete(SERVICE, { headers });
  }
});
