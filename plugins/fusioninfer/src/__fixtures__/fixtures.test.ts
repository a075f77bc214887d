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

/*
 * Every recorded answer of this folder (plugins/fusioninfer-backend/dev/record-fixtures.ts) parsed with the response
 * schema of its route: a contract change that leaves the fixtures stale fails here, naming the fixture and the field,
 * instead of the component tests replaying answers the backend no longer gives.
 */

// eslint-disable-next-line no-restricted-imports
import fs from 'fs';
// eslint-disable-next-line no-restricted-imports
import path from 'path';
import type { z } from 'zod';
import {
  errorResponseSchema,
  fusioninferRoutes,
} from '@fusioninfer/plugin-fusioninfer-common';

type Route = keyof typeof fusioninferRoutes;

/** The route each fixture is an answer of. */
const ROUTE_OF: Record<string, Route> = {
  'apply-approval-required': 'apply',
  'apply-dry-run-does-not-start': 'apply',
  'apply-dry-run-free': 'apply',
  'apply-dry-run-invalid': 'apply',
  'apply-dry-run-refused': 'apply',
  'apply-dry-run-required': 'apply',
  'approval-approved': 'getApproval',
  'approval-check-free': 'checkApproval',
  'approval-check-refused': 'checkApproval',
  'approval-check-required': 'checkApproval',
  'approval-decide-own': 'decideApproval',
  'approval-pending': 'getApproval',
  'approval-rejected': 'decideApproval',
  'approvals-decided': 'listApprovals',
  'approvals-empty': 'listApprovals',
  'approvals-mine': 'listApprovals',
  'approvals-pending': 'listApprovals',
  'autoscaling-none': 'getAutoscaling',
  'autoscaling-qwen': 'getAutoscaling',
  'canary-pause': 'setCanary',
  'canary-rollback': 'setCanary',
  'children-gang': 'getChildren',
  'children-pd': 'getChildren',
  'children-qwen': 'getChildren',
  clusters: 'listClusters',
  'diff-qwen': 'getDiff',
  'diff-qwen-drifted': 'getDiff',
  'entity-services-broken': 'getEntityServices',
  'entity-services-gang': 'getEntityServices',
  'entity-services-nothing': 'getEntityServices',
  'entity-services-pd': 'getEntityServices',
  'entity-services-qwen': 'getEntityServices',
  'entity-services-qwen-scaled': 'getEntityServices',
  'entity-services-qwen-stale': 'getEntityServices',
  'entity-services-wide': 'getEntityServices',
  'error-bad-scale': 'scale',
  'error-cluster-down': 'getService',
  'error-forbidden-approvals': 'listApprovals',
  'error-forbidden-entity-services': 'getEntityServices',
  'error-forbidden-scale': 'scale',
  'error-not-found': 'getService',
  'error-showback-window': 'getShowback',
  'metrics-pd': 'getMetrics',
  'metrics-qwen': 'getMetrics',
  'metrics-wide': 'getMetrics',
  'metrics-wide-starting': 'getMetrics',
  'preflight-gang': 'getPreflight',
  'preflight-qwen': 'getPreflight',
  'rollout-pause': 'setRollout',
  'rollout-resume': 'setRollout',
  'scale-qwen': 'scale',
  'service-missing-for-approval': 'getService',
  'service-qwen': 'getService',
  'service-canary': 'getService',
  'service-canary-paused': 'getService',
  'service-canary-rolled-back': 'getService',
  'service-rolling': 'getService',
  'service-rolling-complete': 'getService',
  'service-rolling-paused': 'getService',
  services: 'listServices',
  showback: 'getShowback',
  'showback-qwen': 'getServiceShowback',
  'showback-team-llm-apps': 'getShowback',
  'strategy-qwen': 'setStrategy',
};

/**
 * Fixtures the contract is known to reject, with why: each runs as a test that must fail, so the fix (schema or
 * fixture) makes it fail loudly until its entry goes.
 */
/** Fixtures that do not match their route yet, with the reason (none now: the list only shrinks). */
const KNOWN_MISMATCHES: Record<string, string> = {};

const DIR = __dirname;
const names = fs
  .readdirSync(DIR)
  .filter(f => f.endsWith('.json'))
  .map(f => f.slice(0, -'.json'.length))
  .sort();

const read = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8'));

/** A recorded `{ status, body }` (errors, 202s) as opposed to a bare 2xx body. */
function asResponse(value: unknown) {
  if (
    value &&
    typeof value === 'object' &&
    Object.keys(value).sort().join() === 'body,status' &&
    typeof (value as { status: unknown }).status === 'number'
  )
    return value as { status: number; body: unknown };
  return undefined;
}

/** The schema a fixture must match, and the value to parse with it. */
function contractOf(name: string): {
  status: number;
  schema: z.ZodType;
  body: unknown;
} {
  const route = ROUTE_OF[name];
  const responses = fusioninferRoutes[route].responses as Record<
    number,
    z.ZodType
  >;
  const value = read(name);
  const recorded = asResponse(value);
  if (recorded) {
    const schema =
      responses[recorded.status] ??
      (recorded.status >= 400 ? errorResponseSchema : undefined);
    if (!schema)
      throw new Error(
        `${name}: ${route} declares no ${recorded.status} answer (declared: ${Object.keys(responses).join(', ')})`,
      );
    return { status: recorded.status, schema, body: recorded.body };
  }
  // A bare body is the route's first success answer (202s and errors are recorded with their status).
  const status = Math.min(...Object.keys(responses).map(Number));
  return { status, schema: responses[status], body: value };
}

/** Each zod issue as `path: message`, the path as in the JSON (`items[0].service.roles`). */
function problems(schema: z.ZodType, body: unknown): string[] {
  const parsed = schema.safeParse(body);
  if (parsed.success) return [];
  return parsed.error.issues.map(issue => {
    const where = issue.path
      .map((p, i) =>
        typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`,
      )
      .join('');
    return `${where || '(root)'}: ${issue.message}`;
  });
}

describe('recorded backend answers', () => {
  it('maps every fixture to a route of the contract, and every mapped fixture exists', () => {
    expect(names.filter(n => !(n in ROUTE_OF))).toEqual([]);
    expect(Object.keys(ROUTE_OF).filter(n => !names.includes(n))).toEqual([]);
    expect(
      Object.values(ROUTE_OF).filter(r => !(r in fusioninferRoutes)),
    ).toEqual([]);
    expect(
      Object.keys(KNOWN_MISMATCHES).filter(n => !names.includes(n)),
    ).toEqual([]);
  });

  it.each(names.filter(n => n in ROUTE_OF && !(n in KNOWN_MISMATCHES)))(
    '%s matches its route',
    name => {
      const { status, schema, body } = contractOf(name);
      // an error body names its own status (Backstage's error JSON)
      const answered =
        status >= 400
          ? (body as { response?: { statusCode?: number } }).response
              ?.statusCode
          : status;
      expect({
        fixture: name,
        status: answered,
        problems: problems(schema, body),
      }).toEqual({ fixture: name, status, problems: [] });
    },
  );

  it.failing.each(Object.keys(KNOWN_MISMATCHES))(
    '%s does not match its route yet (KNOWN_MISMATCHES)',
    name => {
      const { schema, body } = contractOf(name);
      expect(problems(schema, body)).toEqual([]);
    },
  );
});
