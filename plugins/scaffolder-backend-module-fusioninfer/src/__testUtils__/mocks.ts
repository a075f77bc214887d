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

import { mockServices } from '@backstage/backend-test-utils';
import { ResponseError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { parse } from 'yaml';

/** A mock FusionInfer client (only what the actions call). */
export function mockClient() {
  return {
    apply: jest.fn(),
    getService: jest.fn(),
    deleteService: jest.fn(),
    getApproval: jest.fn(),
  };
}

/** A ResponseError as the real client throws it. */
export async function responseError(status: number, message: string) {
  const names: Record<number, string> = {
    400: 'InputError',
    403: 'NotAllowedError',
    404: 'NotFoundError',
    409: 'ConflictError',
  };
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: names[status] ?? 'Error', message },
        request: { method: 'GET', url: '/x' },
        response: { statusCode: status },
      }),
      { status, headers: { 'content-type': 'application/json' } },
    ) as any,
  );
}

/** The step inputs of an action's examples (they double as fixtures). */
export function exampleInputs(examples: Array<{ example: string }>) {
  return examples.map(e => parse(e.example).steps[0].input);
}

/**
 * A mock action context whose checkpoints are kept in `store` and replayed like the scaffolder does on task recovery.
 * `isDryRun` and `signal` are spread in (createMockActionContext does not copy them).
 */
export function context<T extends Record<string, any>>(
  input: T,
  options: {
    store?: Map<string, unknown>;
    isDryRun?: boolean;
    workspacePath?: string;
    signal?: AbortSignal;
  } = {},
) {
  const store = options.store ?? new Map<string, unknown>();
  const logger = mockServices.logger.mock();
  const base = createMockActionContext({
    input,
    logger,
    ...(options.workspacePath ? { workspacePath: options.workspacePath } : {}),
  });
  const checkpoint = jest.fn(
    async ({ key, fn }: { key: string; fn: () => any }) => {
      if (store.has(key)) return store.get(key);
      const v = await fn();
      store.set(key, v);
      return v;
    },
  );
  const ctx = {
    ...base,
    isDryRun: options.isDryRun ?? false,
    signal: options.signal,
    checkpoint,
  } as typeof base;
  const outputs = () =>
    Object.fromEntries(
      (ctx.output as jest.Mock).mock.calls.map(([k, v]) => [k, v]),
    );
  const logs = () =>
    (['info', 'warn', 'error'] as const).flatMap(level =>
      (logger[level] as jest.Mock).mock.calls.map(c => `${level}: ${c[0]}`),
    );
  return { ctx, outputs, logs, checkpoint, store };
}
