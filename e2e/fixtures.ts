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

import fs from 'fs';
import path from 'path';
import {
  test as base,
  expect,
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
