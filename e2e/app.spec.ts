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
  screenshot,
  signIn,
  test,
} from './fixtures';

/** The demo services of examples/demo/, as model-service entities of the catalog module. */
export const DEMO_MODELS = [
  'qwen-inference',
  'qwen-multi-node',
  'disaggregated-llm-service',
  'deepseek-r1-gang',
  'sim-fleet-64',
];

test('the sign-in page offers both demo identities', async ({ page }) => {
  await page.goto('/');
  await expect(
    page.getByRole('button', { name: 'Sign in as Guest' }),
  ).toBeVisible();
  await expect(
    page.getByRole('button', { name: 'Sign in as Approver' }),
  ).toBeVisible();
  await expect(page.getByText('user:default/approver')).toBeVisible();
  await screenshot(page, 'sign-in');
});

test('the guest signs in and the catalog lists every demo model', async ({
  page,
}) => {
  await signIn(page, 'Guest');
  // The catalog opens on the guest's own entities (3, owned by llm-apps); "all" shows every model service. Right
  // after start-up the catalog may still be processing them: a user reloads until they show, and so does the test.
  await expectAfterReload(page, () => page.getByText('Owned Components (3)'));
  await page.goto('/?filters%5Bkind%5D=component&filters%5Buser%5D=all');
  for (const name of DEMO_MODELS) {
    await expectAfterReload(page, () =>
      page.getByRole('link', { name, exact: true }),
    );
  }
  await screenshot(page, 'catalog');
});

test('a model entity page opens, owned by its team', async ({ page }) => {
  await signIn(page, 'Guest');
  await page.goto('/catalog/default/component/qwen-inference.demo.dev');
  await expect(
    page.getByRole('heading', { name: 'qwen-inference', exact: true }),
  ).toBeVisible();
  await expect(page.getByText('llm-apps').first()).toBeVisible();
  await screenshot(page, 'entity-overview');
});

test('the guest is user:default/guest in llm-apps', async ({ page }) => {
  await signIn(page, 'Guest');
  await page.goto('/catalog/default/user/guest');
  await expect(
    page.getByRole('heading', { name: /guest/i }).first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'llm-apps' }).first(),
  ).toBeVisible();
});
