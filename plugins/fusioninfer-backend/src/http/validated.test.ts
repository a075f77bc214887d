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

import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { z } from 'zod';
import { mockErrorHandler } from '@backstage/backend-test-utils';
import { bindRoute } from './validated';

/** One route of a made-up contract: its 200 is a strict object with a number. */
const spec = {
  method: 'get',
  path: '/thing',
  summary: 'a thing',
  permission: 'none',
  responses: { 200: z.strictObject({ a: z.number() }) },
} as const;

const appAnswering = (body: unknown) => {
  const router = Router();
  bindRoute(router, spec as any, async () => ({ status: 200, body }) as any);
  return express().use(router).use(mockErrorHandler());
};

describe('bindRoute under test', () => {
  it('answers what the contract declares', async () => {
    const res = await request(appAnswering({ a: 1 })).get('/thing');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ a: 1 });
  });

  it('fails an answer outside the contract with a 500 naming the field (every REST test checks the contract)', async () => {
    const extra = await request(appAnswering({ a: 1, passed: 0 })).get(
      '/thing',
    );
    expect(extra.status).toBe(500);
    expect(extra.body.error.message).toMatch(
      /^GET \/thing answered 200 outside its contract: body: Unrecognized key: "passed"/,
    );
    const wrong = await request(appAnswering({ a: 'one' })).get('/thing');
    expect(wrong.status).toBe(500);
    expect(wrong.body.error.message).toMatch(/contract: a: /);
  });
});
