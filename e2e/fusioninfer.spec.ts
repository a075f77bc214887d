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

import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { Page } from '@playwright/test';
import {
  expect,
  guestToken,
  newIdentityPage,
  recordMeasurement,
  screenshot,
  signIn,
  test,
} from './fixtures';

/*
 * The FusionInfer plugin in the browser, against the demo services of examples/demo/ on the development cluster
 * embedded in the dev backend. The tests run in this order and change the cluster (scale, approval).
 */

/*
 * Before any browser work: the backend must read the development cluster and list the demo services. When it cannot
 * (a cluster it cannot authenticate to, say), every test of this file fails at once with the backend's own words
 * instead of each waiting for replicas that never show.
 */
test.beforeAll(async ({ request }) => {
  const token = await guestToken(request);
  let last = '';
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const res = await request.get('/api/fusioninfer/services', {
      headers: { Authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    last = `${res.status()} ${text.replace(/\s+/g, ' ')}`;
    if (res.ok()) {
      const body = JSON.parse(text);
      const names = body.items.map((i: { name: string }) => i.name);
      if (
        body.errors.length === 0 &&
        Object.keys(DEMO_ROLES).every(n => names.includes(n))
      )
        return;
    }
    await new Promise(r => setTimeout(r, 3000));
  }
  throw new Error(
    `the backend does not list the demo services of cluster dev after 90 s; last answer of GET /api/fusioninfer/services: ${last.slice(0, 500)} (see e2e/.output/backend.log)`,
  );
});

const inferenceTab = (name: string) =>
  `/catalog/default/component/${name}.demo.dev/inference`;

/** Every role of the service shows all its replicas ready ("2/2 replicas ready", "1/1 replica ready"). */
async function expectAllReplicasReady(
  page: Page,
  roles: Record<string, number | 'all'>,
) {
  for (const [role, replicas] of Object.entries(roles)) {
    await expect(
      page.locator(`[aria-label="Role ${role}"]`).first(),
    ).toContainText(
      replicas === 'all'
        ? /(?<!\d)(\d+)\/\1 replicas? ready/
        : `${replicas}/${replicas} ${replicas === 1 ? 'replica' : 'replicas'} ready`,
      {
        timeout: 90_000,
      },
    );
  }
}

const DEMO_ROLES: Record<string, Record<string, number>> = {
  'qwen-inference': { inference: 1 },
  'qwen-multi-node': { inference: 1 },
  'disaggregated-llm-service': { 'prefill-servers': 2, 'decode-servers': 2 },
  'sim-fleet-64': { sim: 16 },
};

for (const [name, roles] of Object.entries(DEMO_ROLES)) {
  test(`the Inference tab of ${name} shows its replicas ready`, async ({
    page,
  }) => {
    await signIn(page, 'Guest');
    const started = Date.now();
    await page.goto(inferenceTab(name));
    await expect(page.getByText(`dev / demo / ${name}`)).toBeVisible();
    await expectAllReplicasReady(page, roles);
    if (name === 'sim-fleet-64') {
      // Measured, not asserted: from navigation to every replica of the 64-pod service shown ready.
      recordMeasurement(
        '64-pod service: navigation to replicas visible (ms)',
        Date.now() - started,
      );
    }
    await screenshot(page, `inference-${name}`);
  });
}

test('the gang that cannot fit says why', async ({ page }) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('deepseek-r1-gang'));
  await expect(page.getByText('dev / demo / deepseek-r1-gang')).toBeVisible();
  const sentence = page.getByText(/cannot start: .*needs \d+ GPUs/);
  await expect(sentence.first()).toBeVisible({ timeout: 90_000 });
  await sentence.first().scrollIntoViewIfNeeded();
  await screenshot(page, 'gang-cannot-fit');
});

test('the Pre-flight tab says whether vLLM starts, with its KV cache and placement', async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('qwen-inference'));
  await expect(page.getByText('dev / demo / qwen-inference')).toBeVisible();
  await page.getByRole('tab', { name: 'Pre-flight' }).click();
  const preflight = page
    .getByRole('tabpanel', { name: 'Pre-flight' })
    .getByRole('region', { name: 'Pre-flight' });
  // Qwen3-8B on one GPU of the development cluster's nodes (labelled as H100 80 GB by GPU feature discovery).
  await expect(
    preflight.getByLabel('Pre-flight verdict: starts'),
  ).toBeVisible();
  await expect(
    preflight.getByRole('status', { name: 'inference: vLLM starts' }),
  ).toContainText(
    /[\d,]+ tokens of KV cache per replica: [\d.]+ requests of 40,960 tokens at once/,
  );
  await expect(preflight).toContainText(
    /KV cache[\d,]+ tokens \([\d,]+ bytes per token per GPU\)/,
  );
  await expect(preflight).toContainText(
    /NVIDIA-H100-80GB-HBM3 [\d.]+ GiB: vLLM may use [\d.]+ GiB = weights [\d.]+/,
  );
  await expect(
    preflight.getByRole('status', { name: 'Placement' }),
  ).toContainText(/^Fits: 1 pod with 1 GPU/);
  await screenshot(page, 'inference-preflight');
});

test('REST calls per refresh of the Inference tab (measured)', async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('sim-fleet-64'));
  await expectAllReplicasReady(page, DEMO_ROLES['sim-fleet-64']);
  // Count the plugin's REST calls while the tab sits open (background refresh only).
  const calls: { at: number; path: string }[] = [];
  page.on('request', r => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/fusioninfer/'))
      calls.push({ at: Date.now(), path: url.pathname });
  });
  await page.waitForTimeout(32_000);
  // A refresh is a burst of calls; bursts are separated by more than a second.
  const bursts: (typeof calls)[] = [];
  for (const c of calls) {
    const last = bursts[bursts.length - 1];
    if (last && c.at - last[last.length - 1].at < 1000) last.push(c);
    else bursts.push([c]);
  }
  recordMeasurement('Inference tab (64-pod service): REST calls per refresh', {
    windowSeconds: 32,
    calls: calls.length,
    refreshes: bursts.length,
    callsPerRefresh: bursts.length
      ? Number((calls.length / bursts.length).toFixed(2))
      : 0,
    paths: [...new Set(calls.map(c => c.path))],
  });
});

test('routing metrics move while fusioninfer-loadgen sends traffic', async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('qwen-inference'));
  await expectAllReplicasReady(page, { inference: 'all' });
  await page.getByRole('tab', { name: 'Metrics' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Metrics' });
  await expect(panel).toContainText('Requests/s');
  // The pool's request rate, e.g. "Requests/s 0/s" or "Requests/s 4.9/s".
  const requestRate = async () =>
    Number(/Requests\/s\s*([\d.]+)/.exec(await panel.innerText())?.[1] ?? 0);
  const before = await requestRate();

  const root = path.resolve(__dirname, '..');
  const kubeconfig =
    process.env.E2E_KUBECONFIG ?? path.join(root, '.dev-cluster/kubeconfig');
  // The development cluster serves https with its own CA (in the kubeconfig, and next to it as ca.crt); the load
  // generator trusts the kubeconfig's CA itself, NODE_EXTRA_CA_CERTS only keeps older builds of it working.
  const ca = path.join(path.dirname(kubeconfig), 'ca.crt');
  const loadgen = spawn(
    path.join(root, 'node_modules/.bin/fusioninfer-loadgen'),
    [
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      'demo',
      '--service',
      'qwen-inference',
      '--rps',
      '5',
      '--duration',
      '60',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: fs.existsSync(ca)
        ? { ...process.env, NODE_EXTRA_CA_CERTS: ca }
        : process.env,
    },
  );
  try {
    // The rate tile leaves zero once scrapes see the requests (collections every few seconds).
    await expect
      .poll(requestRate, { timeout: 75_000, intervals: [2_000] })
      .toBeGreaterThan(before);
    await screenshot(page, 'routing-metrics');
  } finally {
    loadgen.kill();
  }
});

test("the guest scales its own service and the new replica's pods come up", async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('qwen-inference'));
  await expectAllReplicasReady(page, { inference: 1 });
  await page.getByRole('button', { name: 'Scale', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('spinbutton', { name: 'Replicas' }).fill('2');
  await dialog.getByRole('button', { name: 'Scale inference to 2' }).click();
  await expect(dialog).toBeHidden();
  await expectAllReplicasReady(page, { inference: 2 });
  const replica1 = page.locator('[aria-label="inference replica 1"]').first();
  await expect(replica1).toContainText('1/1 pod ready');
  await screenshot(page, 'scaled');
});

test('the guest cannot scale a service of another team', async ({ page }) => {
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('disaggregated-llm-service'));
  await expect(
    page.getByText('dev / demo / disaggregated-llm-service'),
  ).toBeVisible();
  await expectAllReplicasReady(page, DEMO_ROLES['disaggregated-llm-service']);
  await expect(
    page.getByRole('button', { name: 'Scale', exact: true }),
  ).toHaveCount(0);
});

test('an approval requested by the guest is approved by the approver', async ({
  page,
  browser,
}) => {
  // The guest asks for 5 replicas of 2 GPUs (10 GPUs > fusioninfer.approvals.maxGpusWithoutApproval 8).
  await signIn(page, 'Guest');
  await page.goto(inferenceTab('qwen-multi-node'));
  await expectAllReplicasReady(page, { inference: 1 });
  await page.getByRole('button', { name: 'Scale', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('spinbutton', { name: 'Replicas' }).fill('5');
  await dialog.getByRole('button', { name: 'Scale inference to 5' }).click();
  await expect(page.getByText(/approval/i).first()).toBeVisible();
  await screenshot(page, 'approval-requested');

  // The approver decides on the approvals page, in a browser of its own.
  const approver = await newIdentityPage(browser, 'Approver');
  try {
    await approver.page.goto('/fusioninfer');
    const open = approver.page.getByRole('button', {
      name: /Open request .*qwen-multi-node/,
    });
    await expect(open.first()).toBeVisible();
    await open.first().click();
    await approver.page
      .getByLabel('Comment (optional)')
      .fill('Fine for the e2e run');
    await screenshot(approver.page, 'approval-detail');
    await approver.page.getByRole('button', { name: 'Approve' }).click();
    await approver.page
      .getByRole('dialog')
      .getByRole('button', { name: 'Approve' })
      .click();
    await expect(approver.page.getByRole('dialog')).toBeHidden();
    await expect(
      approver.page.getByText('approved', { exact: true }).first(),
    ).toBeVisible();
    await screenshot(approver.page, 'approval-approved');
    expect(approver.problems).toEqual([]);
  } finally {
    await approver.context.close();
  }

  // Applied once approved: the guest's service converges to 5 replicas.
  await page.goto(inferenceTab('qwen-multi-node'));
  await expectAllReplicasReady(page, { inference: 5 });
});
