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
  expectAfterReload,
  guestToken,
  screenshot,
  signIn,
  test,
} from './fixtures';

/*
 * Showback in the browser: the demo prices the development cluster's H100s at 4 USD an hour and samples usage every
 * 15 s (app-config.yaml fusioninfer.showback); llm-apps' services hold about 3 GPUs, so its month is projected over
 * its budget of 2,000 USD and its card warns.
 */

test("a team's GPU spend card shows its services, the exact total and a budget warning", async ({
  page,
  request,
}) => {
  await signIn(page, 'Guest');
  await page.goto('/catalog/default/group/llm-apps');
  // Costs appear once the recorder has two samples (30 s after the backend started): look as a user would.
  await expectAfterReload(page, () => page.getByText('Projected over budget'));
  const card = page
    .locator('article, section, div')
    .filter({ has: page.getByText('GPU spend', { exact: true }) })
    .filter({
      has: page.getByRole('table', {
        name: 'Services of group:default/llm-apps',
      }),
    })
    .last();
  await expect(
    card.getByRole('alert').filter({ hasText: 'Projected over budget' }),
  ).toContainText(
    /ends at \$[\d,]+\.\d{2}, [\d,]+ % of the budget of \$2,000\.00/,
  );
  await expect(
    card.getByRole('progressbar', { name: /Budget spent: \d+ %/ }),
  ).toBeVisible();
  const table = card.getByRole('table', {
    name: 'Services of group:default/llm-apps',
  });
  await expect(
    table.getByRole('row').filter({ hasText: 'demo/qwen-inference' }),
  ).toContainText(/\$\d+\.\d{2}/);
  await expect(
    table.getByRole('row').filter({ hasText: 'demo/qwen-multi-node' }),
  ).toBeVisible();
  await expect(table.getByRole('row').last()).toContainText('Total');
  // The card sits below the group's members and ownership: bring its warning into the picture.
  await card
    .getByRole('alert')
    .filter({ hasText: 'Projected over budget' })
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'showback-team');

  // The card's numbers are the REST answer's: the team's total is the sum of its services' to the micro-unit.
  const token = await guestToken(request);
  const res = await request.get(
    '/api/fusioninfer/showback?team=group:default/llm-apps',
    {
      headers: { Authorization: `Bearer ${token}` },
    },
  );
  expect(res.ok()).toBe(true);
  const body = await res.json();
  const [team] = body.teams;
  const sum = (f: (s: any) => number) =>
    body.services.reduce((a: number, s: any) => a + f(s), 0);
  expect(team.monthToDate.totalCostMicros).toBeGreaterThan(0);
  expect(team.monthToDate.totalCostMicros).toBe(
    sum(s => s.monthToDate.totalCostMicros),
  );
  expect(team.totalCostMicros).toBe(sum(s => s.totalCostMicros));
  expect(team.costPerHourNowMicros).toBe(sum(s => s.costPerHourNowMicros));
  expect(team.budget.status).toBe('projected-over');
});

test("the Cost row on a model's Inference tab", async ({ page }) => {
  await signIn(page, 'Guest');
  await page.goto(
    '/catalog/default/component/qwen-inference.demo.dev/inference',
  );
  await expect(page.getByText('dev / demo / qwen-inference')).toBeVisible();
  const cost = page.getByLabel('Cost', { exact: true });
  await expect(cost).toContainText(
    /^\$[\d,]+\.\d{2}\/h now · \$[\d,.]+ this month \(projected \$[\d,.]+\) · (\$[\d,.]+ per 1M tokens \(prompt \$[\d,.]+, generation \$[\d,.]+\)|no tokens counted yet) · idle (\d+ %|—)$/,
  );
  await screenshot(page, 'showback-cost-row');
});
