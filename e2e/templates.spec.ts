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

import type { APIRequestContext, Page } from '@playwright/test';
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
 * The "Deploy an LLM" software template, clicked as a new user clicks it: the wizard's pages, the preview field's
 * verdict, Create, the task page, its "Inference tab" link, and the service Ready on that tab. The guest is in team
 * llm-apps, whose project (app-config.yaml) deploys to llm-apps, default and demo with approval above 8 GPUs.
 */

const TEMPLATE = '/create/templates/default/fusioninfer-deploy-llm';

type Topology = 'monolithic' | 'multi-node' | 'pd' | 'pd-multi-node';
const TOPOLOGY_LABEL: Record<Topology, string> = {
  monolithic: 'Monolithic (one pod per replica)',
  'multi-node':
    'Multi-node (Ray across pods of a LeaderWorkerSet, gang-scheduled)',
  pd: 'Prefill/decode disaggregated',
  'pd-multi-node': 'Prefill/decode disaggregated, multi-node',
};

/**
 * Deletes a service the test deployed, as the guest through the REST API (the cluster has 32 GPUs for every spec of
 * the run).
 */
async function decommission(request: APIRequestContext, name: string) {
  const token = await guestToken(request);
  const res = await request.delete(
    `/api/fusioninfer/clusters/dev/namespaces/default/services/${name}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  expect([202, 404]).toContain(res.status());
}

const next = (page: Page) => page.getByRole('button', { name: 'Next' }).click();

/** Chooses an option of a MUI select of the form by its label. */
async function choose(page: Page, label: string, option: string) {
  await page.getByRole('button', { name: new RegExp(`^${label}`) }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Sets a number field of the form (by its RJSF id: the same label appears in several sections). */
async function setNumber(page: Page, id: string, value: number) {
  const input = page.locator(`#${id}`);
  await input.fill(String(value));
  await expect(input).toHaveValue(String(value));
}

/**
 * Fills the wizard up to its Review page: model (Qwen/Qwen3-0.6B unless given), topology (with `sizes` by RJSF id),
 * routing left at its default, cluster dev, the namespace and owner llm-apps.
 */
async function fillUpToReview(
  page: Page,
  o: {
    name: string;
    topology: Topology;
    sizes?: Record<string, number>;
    namespace?: string;
    model?: string;
  },
) {
  await page.goto(TEMPLATE);
  await page.getByRole('textbox', { name: 'Service name' }).fill(o.name);
  await page
    .getByRole('textbox', { name: 'Model' })
    .fill(o.model ?? 'Qwen/Qwen3-0.6B');
  await next(page);
  if (o.topology !== 'monolithic')
    await choose(page, 'Topology', TOPOLOGY_LABEL[o.topology]);
  for (const [id, value] of Object.entries(o.sizes ?? {}))
    await setNumber(page, id, value);
  await next(page);
  await expect(page.getByRole('button', { name: /^Router/ })).toBeVisible();
  await next(page);
  const namespace = page.getByRole('textbox', { name: 'Namespace' });
  await namespace.fill(o.namespace ?? 'default');
  const owner = page.getByRole('textbox', { name: 'Owner' });
  await owner.click();
  await owner.fill('llm-apps');
  await page.getByRole('option', { name: 'llm-apps', exact: true }).click();
  await next(page);
}

/** The preview field's verdict on the Review page. */
const preview = (page: Page) =>
  page.locator('[data-testid="fusioninfer-preview"], form').first();

/** Confirm (Backstage's summary page), then Create; returns when the task page shows. */
async function create(page: Page) {
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\//);
}

/** On the task page: waits for the "Inference tab" link, follows it and waits for every role ready. */
async function followToReadyTab(page: Page, name: string) {
  const link = page.getByRole('link', { name: 'Inference tab' });
  await expect(link).toBeVisible({ timeout: 240_000 });
  await link.click();
  // The link opens the entity's tab at once: the task ended only when the catalog listed the entity.
  await expect(page.getByText('Entity not found')).toHaveCount(0);
  await expect(page.getByText(`dev / default / ${name}`)).toBeVisible();
  await expect(page.getByText(/\b(\d+) \/ \1 ready\b/).first()).toBeVisible({
    timeout: 180_000,
  });
}

const CASES: Array<{
  topology: Topology;
  name: string;
  sizes?: Record<string, number>;
}> = [
  { topology: 'monolithic', name: 'wiz-mono' },
  {
    topology: 'multi-node',
    name: 'wiz-multi',
    sizes: { root_worker_gpusPerPod: 1 },
  },
  { topology: 'pd', name: 'wiz-pd' },
  {
    topology: 'pd-multi-node',
    name: 'wiz-pdmn',
    sizes: { root_prefill_gpusPerPod: 1, root_decode_gpusPerPod: 1 },
  },
];

for (const c of CASES) {
  test(`"Deploy an LLM", ${c.topology}: preview, Create, task, Inference tab Ready`, async ({
    page,
    request,
  }) => {
    await signIn(page, 'Guest');
    await fillUpToReview(page, c);
    // The preview renders the service with the form's values and asks the backend's policy.
    await expect(preview(page)).toContainText('No approval needed', {
      timeout: 30_000,
    });
    await expect(preview(page)).toContainText('Project llm-apps');
    await expect(preview(page)).not.toContainText(/\b1 GPUs\b|\b1 pods\b/);
    await screenshot(page, `template-${c.topology}-review`);
    const started = Date.now();
    await create(page);
    await followToReadyTab(page, c.name);
    recordMeasurement(
      `template ${c.topology}: Create to tab Ready (ms)`,
      Date.now() - started,
    );
    await screenshot(page, `template-${c.topology}-ready`);
    await decommission(request, c.name);
  });
}

test('the preview shows the pre-flight: whether vLLM starts on the cluster, its KV cache and the placement', async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await fillUpToReview(page, { name: 'wiz-preflight', topology: 'monolithic' });
  const preflight = preview(page).getByRole('region', { name: 'Pre-flight' });
  await expect(preflight).toContainText('On cluster dev as it is now', {
    timeout: 30_000,
  });
  // Qwen3-0.6B on one GPU of the development cluster (H100 80 GB by its node labels): vLLM starts.
  await expect(
    preflight.getByLabel('Pre-flight verdict: starts'),
  ).toBeVisible();
  await expect(
    preflight.getByRole('status', { name: 'inference: vLLM starts' }),
  ).toContainText(/[\d,]+ tokens of KV cache per replica/);
  await expect(
    preflight.getByRole('status', { name: 'Placement' }),
  ).toContainText(/^Fits: /);
  await preflight.scrollIntoViewIfNeeded();
  await screenshot(page, 'template-preflight');

  // Qwen3-32B on that one GPU: its weights leave too little KV cache for one request of its 40,960-token context.
  await fillUpToReview(page, {
    name: 'wiz-preflight',
    topology: 'monolithic',
    model: 'Qwen/Qwen3-32B',
  });
  await expect(
    preflight.getByLabel('Pre-flight verdict: does not start'),
  ).toBeVisible({ timeout: 30_000 });
  const verdict = preflight.getByRole('status', {
    name: 'inference: vLLM will not start',
  });
  await expect(verdict.getByLabel('The error vLLM would print')).toContainText(
    "ValueError: To serve at least one request with the models's max seq len (40960)",
  );
  await expect(verdict).toContainText(/Fix: set --max-model-len \d+/);
  await verdict.scrollIntoViewIfNeeded();
  await screenshot(page, 'template-preflight-does-not-start');
  // An estimate, not a refusal: the wizard goes on to its summary (nothing is created here).
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('button', { name: 'Create' })).toBeVisible();
});

test("the form says why before submitting when the namespace is another team's", async ({
  page,
}) => {
  await signIn(page, 'Guest');
  await fillUpToReview(page, {
    name: 'wiz-elsewhere',
    topology: 'monolithic',
    namespace: 'ml-platform',
  });
  await expect(preview(page)).toContainText(
    'The policy refuses this deployment',
    { timeout: 30_000 },
  );
  await expect(preview(page)).toContainText(
    "namespace ml-platform of cluster dev is not one of project llm-apps's (llm-apps, default, demo)",
  );
  await screenshot(page, 'template-refused');
  // The wizard does not go on to Create.
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('button', { name: 'Create' })).toHaveCount(0);
});

test('above the threshold the task waits for approval, the approver approves in a second browser, then Ready', async ({
  page,
  browser,
  request,
}) => {
  await signIn(page, 'Guest');
  // 3 replicas of 3 GPUs: 9 GPUs, above llm-apps's 8.
  await fillUpToReview(page, {
    name: 'wiz-big',
    topology: 'monolithic',
    sizes: { root_worker_replicas: 3, root_worker_gpusPerPod: 3 },
  });
  await expect(preview(page)).toContainText('Approval will be needed', {
    timeout: 30_000,
  });
  await page
    .getByRole('checkbox', { name: /keep this task open until it is decided/ })
    .check();
  await create(page);
  // The task stays open on its last step; its log says why and links the request.
  await expect(
    page.getByText('Wait for the approval and the deployment'),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Show logs' }).click();
  await expect(
    page.getByText(/needs approval \(9 GPUs requested/).first(),
  ).toBeVisible({
    timeout: 60_000,
  });
  await screenshot(page, 'template-waiting-for-approval');

  const approver = await newIdentityPage(browser, 'Approver');
  try {
    await approver.page.goto('/fusioninfer');
    const open = approver.page.getByRole('button', {
      name: /Open request .*wiz-big/,
    });
    await expect(open.first()).toBeVisible();
    await open.first().click();
    await expect(
      approver.page.getByText('Team project and policy'),
    ).toBeVisible();
    await approver.page.getByRole('button', { name: 'Approve' }).click();
    await approver.page
      .getByRole('dialog')
      .getByRole('button', { name: 'Approve' })
      .click();
    await expect(approver.page.getByRole('dialog')).toBeHidden();
    expect(approver.problems).toEqual([]);
  } finally {
    await approver.context.close();
  }
  // The guest's task, still open, goes on once approved and ends with the link to a Ready service.
  await followToReadyTab(page, 'wiz-big');
  await screenshot(page, 'template-approved-ready');
  await decommission(request, 'wiz-big');
});
