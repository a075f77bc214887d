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

import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import {
  test as base,
  expect,
  APIRequestContext,
  Browser,
  BrowserContext,
  Page,
} from '@playwright/test';

export { expect };

export const OUTPUT = path.resolve(__dirname, '.output');
export const SCREENS = path.join(OUTPUT, 'screens');
const MEASUREMENTS = path.join(OUTPUT, 'measurements.json');

/** The demo identities of the sign-in page (app-config.yaml auth.providers, examples/entities/org.yaml). */
export type Identity = 'Guest' | 'Approver';

/**
 * Collects what a user would see as breakage: uncaught page errors, console errors and failed requests to the
 * backend (HTTP ≥ 500, or 4xx other than what a test expects). A test fails on any of them (see `test` below).
 */
export function watchForErrors(page: Page, allowHttp: RegExp[] = []) {
  const problems: string[] = [];
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  page.on('console', m => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // Chromium logs every failed response as a console error; those are judged below, by URL and status.
    if (
      /^Failed to load resource: the server responded with a status of/.test(
        text,
      )
    )
      return;
    problems.push(`console error: ${text}`);
  });
  page.on('response', r => {
    const status = r.status();
    if (status < 400) return;
    const url = r.url();
    if (allowHttp.some(re => re.test(`${status} ${url}`))) return;
    problems.push(`HTTP ${status} ${r.request().method()} ${url}`);
  });
  return problems;
}

/** Opens the app and signs in with one of the demo identities; returns when the catalog shows. */
export async function signIn(page: Page, who: Identity) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${who}` }).click();
  await expect(
    page.getByRole('heading', { name: /FusionInfer Catalog|Catalog/ }).first(),
  ).toBeVisible();
}

/**
 * Waits for something that appears in the backend without the page being told (the catalog stitching a new entity,
 * say) the way a user does: look, and reload the page until it shows. Each look waits up to `lookMs`.
 */
export async function expectAfterReload(
  page: Page,
  visible: () => ReturnType<Page['getByText']>,
  { timeout = 120_000, lookMs = 5_000 } = {},
) {
  let first = true;
  await expect(async () => {
    if (!first) await page.reload();
    first = false;
    await expect(visible()).toBeVisible({ timeout: lookMs });
  }).toPass({ timeout, intervals: [500, 1_000, 2_000] });
}

/** A second browser context (its own storage: its own sign-in), with the same error watch. */
export async function newIdentityPage(browser: Browser, who: Identity) {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: 1440, height: 900 },
  });
  const page = await context.newPage();
  const problems = watchForErrors(page);
  await signIn(page, who);
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`) });
}

/** A Backstage token of the guest (the same sign-in the page uses), for the backend's REST API. */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const auth = await request.get('/api/auth/guest/refresh', {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  expect(auth.ok(), 'guest sign-in through the backend').toBe(true);
  return (await auth.json()).backstageIdentity.token as string;
}

/** Waits until the catalog module has generated the entity of `demo/<name>` (its page exists from then on). */
export async function waitForServiceEntity(
  request: APIRequestContext,
  headers: Record<string, string>,
  name: string,
) {
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `/api/catalog/entities/by-name/component/default/${name}.demo.dev`,
            { headers },
          )
        ).status(),
      { timeout: 120_000, intervals: [2_000] },
    )
    .toBe(200);
}

/**
 * Starts `fusioninfer-loadgen` against the backend's development cluster (its kubeconfig, trusting its CA) in
 * namespace demo with `args`; kill it when done.
 */
export function startLoadgen(args: string[]): ChildProcess {
  const root = path.resolve(__dirname, '..');
  const kubeconfig =
    process.env.E2E_KUBECONFIG ?? path.join(root, '.dev-cluster/kubeconfig');
  const ca = path.join(path.dirname(kubeconfig), 'ca.crt');
  return spawn(
    path.join(root, 'node_modules/.bin/fusioninfer-loadgen'),
    ['--kubeconfig', kubeconfig, '--namespace', 'demo', ...args],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: fs.existsSync(ca)
        ? { ...process.env, NODE_EXTRA_CA_CERTS: ca }
        : process.env,
    },
  );
}

/** Adds figures to e2e/.output/measurements.json (read by e2e/report.ts). Measurements, never assertions. */
export function recordMeasurement(key: string, value: unknown) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const current = fs.existsSync(MEASUREMENTS)
    ? JSON.parse(fs.readFileSync(MEASUREMENTS, 'utf8'))
    : {};
  current[key] = value;
  fs.writeFileSync(MEASUREMENTS, `${JSON.stringify(current, null, 2)}\n`);
}

/** `test` with a page that fails the test on any page error, console error or unexpected HTTP error. */
export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
      const problems = watchForErrors(page);
      await use(problems);
      expect(problems, 'page errors, console errors or HTTP errors').toEqual(
        [],
      );
    },
    { auto: true },
  ],
});
