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
 * What showback computes from usage and the price sheet: per service GPU-hours by accelerator type, cost, cost per
 * hour now, cost per million tokens (prompt and generation), idle share, spend against the approved size and a
 * projection to month end; per team the exact sums of its services, its budget and its quota. Money is counted in
 * integer millionths of the currency ("micros"): a service's cost is rounded once, from its exact unit-hours, and
 * everything above it is a sum of integers, so a team's total equals the sum of its services exactly.
 */

import { gpuEquivalentPerUnit } from '../governance/accelerators';
import type {
  ServiceShowback,
  ShowbackAccelerator,
  ShowbackBudget,
  TeamShowback,
} from '../rest/showback';
import { MAX_SHOWBACK_WINDOW_DAYS } from '../rest/showback';
import { PriceSheet, priceFor } from './prices';
import { AcceleratorHolding, gpuEquivalentsOf, UsageSample } from './usage';

const MICROS = 1_000_000;
const HOUR_MS = 3_600_000;

/** Currency units from micros (for people; sums use the micros). @public */
export function fromMicros(m: number): number {
  return m / MICROS;
}

/** A month in UTC: `key` is `YYYY-MM`, `start` and `end` epoch milliseconds. @public */
export interface ShowbackMonth {
  key: string;
  start: number;
  end: number;
}

/** The UTC month an instant falls in (budgets and projections are per calendar month, UTC). @public */
export function monthOf(at: number): ShowbackMonth {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    key: `${y}-${String(m + 1).padStart(2, '0')}`,
    start: Date.UTC(y, m, 1),
    end: Date.UTC(y, m + 1, 1),
  };
}

/**
 * The window of a showback query: `from` (default: the month's first instant, UTC) to `to` (default and at most:
 * now). A start after the end, or more than {@link MAX_SHOWBACK_WINDOW_DAYS} days, is an error naming the field.
 * @public
 */
export function resolveShowbackWindow(
  query: { from?: string; to?: string },
  now: number,
): { start: number; end: number } | { error: string } {
  const end = query.to ? Math.min(Date.parse(query.to), now) : now;
  const start = query.from ? Date.parse(query.from) : monthOf(now).start;
  if (!Number.isFinite(start) || !Number.isFinite(end))
    return { error: 'from, to: must be ISO 8601 instants' };
  if (start >= end)
    return {
      error: `from: must be before ${query.to ? 'to' : 'now'} (${new Date(end).toISOString()})`,
    };
  if (end - start > MAX_SHOWBACK_WINDOW_DAYS * 24 * HOUR_MS)
    return {
      error: `from: the window may span at most ${MAX_SHOWBACK_WINDOW_DAYS} days (usage is kept as long)`,
    };
  return { start, end };
}

/**
 * Splits an integer total over parts in proportion to their exact values (largest remainder): the parts are
 * integers and add up to the total exactly.
 * @public
 */
export function apportion(total: number, exact: readonly number[]): number[] {
  const sum = exact.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || total <= 0) return exact.map(() => 0);
  const raw = exact.map(x => (x / sum) * total);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0 && order.length; k = (k + 1) % order.length) {
    out[order[k].i]++;
    left--;
  }
  return out;
}

/** Cost of usage: per accelerator type (apportioned) and in total, rounded once. @public */
export interface UsageCost {
  totalCostMicros: number;
  accelerators: ShowbackAccelerator[];
  gpuHours: number;
  idleGpuHours: number;
  unmeasuredGpuHours: number;
  idleShare?: number;
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The cost of usage under a price sheet: each accelerator type's unit-hours × its price ({@link priceFor}),
 * summed exactly and rounded once to micros; the total is then apportioned over the types so that they add up to it.
 * GPU-hours are GPU equivalents (a MIG `3g` slice counts 3/7); the idle share is idle ÷ measured GPU-hours.
 * @public
 */
export function costOfUsage(
  usage: UsageSample | undefined,
  sheet: PriceSheet,
): UsageCost {
  const types = usage?.accelerators ?? [];
  const priced = types.map(a => ({
    a,
    ...priceFor(sheet, a.resource, a.product),
  }));
  const exact = priced.map(p => (p.a.seconds / 3600) * p.perHour * MICROS);
  const totalCostMicros = Math.round(exact.reduce((s, x) => s + x, 0));
  const parts = apportion(totalCostMicros, exact);
  let gpuSeconds = 0;
  let idle = 0;
  let unmeasured = 0;
  for (const a of types) {
    const eq = gpuEquivalentPerUnit(a.resource);
    gpuSeconds += a.seconds * eq;
    idle += a.idleSeconds * eq;
    unmeasured += a.unmeasuredSeconds * eq;
  }
  const measured = gpuSeconds - unmeasured;
  return {
    totalCostMicros,
    accelerators: priced.map((p, i) => ({
      resource: p.a.resource,
      ...(p.a.product ? { product: p.a.product } : {}),
      gpuHours: r6(p.a.seconds / 3600),
      idleGpuHours: r6(p.a.idleSeconds / 3600),
      pricePerHour: p.perHour,
      priceSource: p.source,
      totalCost: fromMicros(parts[i]),
      totalCostMicros: parts[i],
    })),
    gpuHours: r6(gpuSeconds / 3600),
    idleGpuHours: r6(idle / 3600),
    unmeasuredGpuHours: r6(unmeasured / 3600),
    ...(measured > 1e-9 ? { idleShare: Math.min(1, idle / measured) } : {}),
  };
}

/** Cost per hour of holdings now, in micros (rounded once). @public */
export function costPerHourMicros(
  holdings: readonly AcceleratorHolding[],
  sheet: PriceSheet,
): number {
  return Math.round(
    holdings.reduce(
      (s, h) =>
        s + h.units * priceFor(sheet, h.resource, h.product).perHour * MICROS,
      0,
    ),
  );
}

/** Token figures of a cost, OpenCost's inference-cost names. @public */
export interface TokenCosts {
  promptTokens: number;
  generationTokens: number;
  totalTokens: number;
  requests: number;
  costPerMillionTokens?: number;
  inputCost?: number;
  outputCost?: number;
  inputCostPerMillionTokens?: number;
  outputCostPerMillionTokens?: number;
  allocationMethod: 'multiplier';
  /** The input part in micros (the output part is the rest). */
  inputCostMicros?: number;
}

/**
 * Cost per million tokens, OpenCost's `multiplier` method: the cost is split between prompt and generation tokens
 * in proportion to `prompt` and `weight × generation` (a generation token weighs `weight` prompt tokens); then
 * input cost ÷ prompt tokens and output cost ÷ generation tokens, per million. The blended figure is the whole cost
 * ÷ all tokens. A figure whose denominator is 0 is left out.
 * @public
 */
export function tokenCosts(
  totalCostMicros: number,
  usage: { promptTokens: number; generationTokens: number; requests: number },
  weight: number,
): TokenCosts {
  const p = Math.max(0, usage.promptTokens);
  const g = Math.max(0, usage.generationTokens);
  const out: TokenCosts = {
    promptTokens: p,
    generationTokens: g,
    totalTokens: p + g,
    requests: Math.max(0, usage.requests),
    allocationMethod: 'multiplier',
  };
  if (p + g <= 0) return out;
  const weighted = p + weight * g;
  const inputMicros = Math.round((totalCostMicros * p) / weighted);
  const outputMicros = totalCostMicros - inputMicros;
  // micros per token × 10^6 tokens ÷ 10^6 micros per unit: micros per token is the currency per million tokens.
  out.costPerMillionTokens = totalCostMicros / (p + g);
  out.inputCost = fromMicros(inputMicros);
  out.outputCost = fromMicros(outputMicros);
  out.inputCostMicros = inputMicros;
  if (p > 0) out.inputCostPerMillionTokens = inputMicros / p;
  if (g > 0) out.outputCostPerMillionTokens = outputMicros / g;
  return out;
}

/** What {@link serviceShowback} needs of one service. @public */
export interface ServiceShowbackInput {
  cluster: string;
  namespace: string;
  name: string;
  entityRef: string;
  team?: string;
  project?: string;
  /** Usage in the window (summed samples). */
  window?: UsageSample;
  /** Usage since the month began (summed samples). */
  monthToDate?: UsageSample;
  /** What its pods hold now; absent: unknown (the projection then assumes it goes on). */
  now?: readonly AcceleratorHolding[];
  /** What its spec asks for: accelerators per resource, as the render summary counts them. */
  approved?: Record<string, number>;
  /**
   * Costs from elsewhere (OpenCost's allocation API), replacing the price sheet's: the window's, the month's so far,
   * and the last hour's as the cost per hour now, in micros, with the GPU-hours it counted. Usage still gives the
   * tokens, the idle share and the split over accelerator types.
   */
  external?: {
    windowCostMicros: number;
    monthToDateCostMicros: number;
    costPerHourMicros: number;
    windowGpuHours?: number;
    monthToDateGpuHours?: number;
  };
}

/** Month to date plus its average hourly cost so far until month end; 0 more when it holds nothing now. */
function projectMicros(
  spentMicros: number,
  firstStart: number | undefined,
  holdsNothing: boolean,
  now: number,
): number {
  const month = monthOf(now);
  if (!spentMicros || holdsNothing || firstStart === undefined)
    return spentMicros;
  const elapsed = now - Math.max(month.start, firstStart);
  if (elapsed <= 0) return spentMicros;
  return (
    spentMicros +
    Math.round((spentMicros * Math.max(0, month.end - now)) / elapsed)
  );
}

const tokenFields = (t: TokenCosts) => {
  const { inputCostMicros: _ignored, ...rest } = t;
  return rest;
};

/**
 * Showback of one service at `now` (epoch ms): the window's GPU-hours by accelerator type, cost, tokens and idle
 * share; cost per hour of what it holds now; its approved size priced like what it holds; month to date and a linear
 * projection to month end (see {@link ServiceShowback}).
 * @public
 */
export function serviceShowback(
  input: ServiceShowbackInput,
  sheet: PriceSheet,
  now: number,
): ServiceShowback {
  const cost = costOfUsage(input.window, sheet);
  const month = costOfUsage(input.monthToDate, sheet);
  const holdings = input.now ?? [];
  let perHourNow = costPerHourMicros(holdings, sheet);
  const ext = input.external;
  if (ext) {
    // OpenCost's totals; its cost is spread over the accelerator types by their unit-hours, for the breakdown.
    cost.totalCostMicros = Math.round(ext.windowCostMicros);
    const parts = apportion(
      cost.totalCostMicros,
      cost.accelerators.map(a => a.gpuHours),
    );
    cost.accelerators = cost.accelerators.map((a, i) => ({
      ...a,
      priceSource: 'opencost',
      pricePerHour: a.gpuHours > 0 ? fromMicros(parts[i]) / a.gpuHours : 0,
      totalCost: fromMicros(parts[i]),
      totalCostMicros: parts[i],
    }));
    if (ext.windowGpuHours !== undefined)
      cost.gpuHours = r6(ext.windowGpuHours);
    month.totalCostMicros = Math.round(ext.monthToDateCostMicros);
    if (ext.monthToDateGpuHours !== undefined)
      month.gpuHours = r6(ext.monthToDateGpuHours);
    perHourNow = Math.round(ext.costPerHourMicros);
  }
  const tokens = tokenCosts(
    cost.totalCostMicros,
    input.window ?? { promptTokens: 0, generationTokens: 0, requests: 0 },
    sheet.generationTokenWeight,
  );
  const projected = projectMicros(
    month.totalCostMicros,
    input.monthToDate?.start,
    input.now !== undefined && holdings.length === 0,
    now,
  );
  let approved: ServiceShowback['approved'];
  if (input.approved) {
    // Priced at the product the service runs on now (the spec names resources, not products).
    const held = (resource: string) =>
      holdings
        .filter(h => h.resource.toLowerCase() === resource.toLowerCase())
        .sort((a, b) => b.units - a.units)[0]?.product;
    const spec: AcceleratorHolding[] = Object.entries(input.approved)
      .filter(([r, u]) => u > 0 && gpuEquivalentPerUnit(r) > 0)
      .map(([resource, units]) => ({
        resource,
        ...(held(resource) ? { product: held(resource) } : {}),
        units,
      }));
    const gpus = gpuEquivalentsOf(spec);
    const monthHours =
      input.monthToDate?.start !== undefined
        ? (now - Math.max(monthOf(now).start, input.monthToDate.start)) /
          HOUR_MS
        : 0;
    approved = {
      gpus: r6(gpus),
      costPerHour: fromMicros(costPerHourMicros(spec, sheet)),
      ...(gpus > 0 && monthHours > 0
        ? { heldShare: month.gpuHours / (gpus * monthHours) }
        : {}),
    };
  }
  return {
    cluster: input.cluster,
    namespace: input.namespace,
    name: input.name,
    entityRef: input.entityRef,
    ...(input.team ? { team: input.team } : {}),
    ...(input.project ? { project: input.project } : {}),
    gpuHours: cost.gpuHours,
    idleGpuHours: cost.idleGpuHours,
    unmeasuredGpuHours: cost.unmeasuredGpuHours,
    ...(cost.idleShare !== undefined ? { idleShare: cost.idleShare } : {}),
    accelerators: cost.accelerators,
    totalCost: fromMicros(cost.totalCostMicros),
    totalCostMicros: cost.totalCostMicros,
    ...tokenFields(tokens),
    gpusNow: r6(gpuEquivalentsOf(holdings)),
    costPerHourNow: fromMicros(perHourNow),
    costPerHourNowMicros: perHourNow,
    ...(approved ? { approved } : {}),
    monthToDate: {
      totalCost: fromMicros(month.totalCostMicros),
      totalCostMicros: month.totalCostMicros,
      gpuHours: month.gpuHours,
    },
    projectedMonth: {
      totalCost: fromMicros(projected),
      totalCostMicros: projected,
    },
  };
}

/** A team project's budget (`fusioninfer.projects.<name>.budget`). @public */
export interface ProjectBudget {
  /** Per calendar month (UTC), in `currency`. */
  monthly: number;
  currency: string;
}

/** The thresholds of a monthly budget, in percent, that notify the team once per month each. @public */
export const BUDGET_THRESHOLDS: readonly number[] = Object.freeze([80, 100]);

/** Micros spent ÷ a monthly budget (currency units); a budget of 0 is used up (1) once anything is spent. @public */
export function budgetShare(micros: number, monthly: number): number {
  const limit = monthly * MICROS;
  if (limit > 0) return micros / limit;
  return micros > 0 ? 1 : 0;
}

/** A team's budget status from its month to date and projection (micros). @public */
export function budgetStatus(
  spentMicros: number,
  projectedMicros: number,
  budget: ProjectBudget,
): ShowbackBudget {
  const spentShare = budgetShare(spentMicros, budget.monthly);
  const projectedShare = budgetShare(projectedMicros, budget.monthly);
  let status: ShowbackBudget['status'] = 'ok';
  if (spentShare >= 1) status = 'exceeded';
  else if (spentShare >= 0.8) status = 'warning';
  else if (projectedShare >= 1) status = 'projected-over';
  return {
    monthly: budget.monthly,
    currency: budget.currency,
    spentShare,
    projectedShare,
    status,
  };
}

/** The budget thresholds (percent) the spent share has reached that were not notified yet, lowest first. @public */
export function budgetThresholdsToNotify(
  spentShare: number,
  notified: readonly number[],
): number[] {
  return BUDGET_THRESHOLDS.filter(
    t => spentShare * 100 >= t && !notified.includes(t),
  );
}

/** What {@link teamShowback} knows of a team beyond its services. @public */
export interface TeamInfo {
  team: string;
  project?: string;
  budget?: ProjectBudget;
  /** GPU quota in force of the team's project, summed over clusters. */
  quotaGpus?: number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The teams of services, by their `team` (services without one are under `unowned`), each the sum of its
 * services: micros are added as integers, so a team's `totalCostMicros` (and cost per hour, month to date and
 * projection) equals the sum of its services' exactly. Cost per million tokens is recomputed from the sums. Budget
 * and quota are the project's: compared with the sums of every given service of the team's project. Sorted by
 * month-to-date cost, highest first.
 * @public
 */
export function teamShowback(
  services: readonly ServiceShowback[],
  teams: readonly TeamInfo[],
  sheet: PriceSheet,
  now: number,
): TeamShowback[] {
  const byTeam = new Map<string, ServiceShowback[]>();
  for (const s of services) {
    const t = s.team ?? 'unowned';
    const list = byTeam.get(t);
    if (list) list.push(s);
    else byTeam.set(t, [s]);
  }
  for (const t of teams) if (!byTeam.has(t.team)) byTeam.set(t.team, []);
  const month = monthOf(now);
  const elapsedHours = (now - month.start) / HOUR_MS;
  const monthHours = (month.end - month.start) / HOUR_MS;
  // A budget and a quota belong to a project, which several teams may share: they are compared with the project's
  // sums (over the services given).
  const ofProject = (
    project: string | undefined,
    fallback: ServiceShowback[],
  ) => (project ? services.filter(s => s.project === project) : fallback);
  return [...byTeam.entries()]
    .map(([team, list]): TeamShowback => {
      const info = teams.find(t => t.team === team);
      const totalCostMicros = sum(list.map(s => s.totalCostMicros));
      const perHour = sum(list.map(s => s.costPerHourNowMicros));
      const mtd = sum(list.map(s => s.monthToDate.totalCostMicros));
      const mtdGpuHours = sum(list.map(s => s.monthToDate.gpuHours));
      const projected = sum(list.map(s => s.projectedMonth.totalCostMicros));
      const gpuHours = sum(list.map(s => s.gpuHours));
      const idle = sum(list.map(s => s.idleGpuHours));
      const unmeasured = sum(list.map(s => s.unmeasuredGpuHours));
      const inputMicros = sum(
        list.map(s => Math.round((s.inputCost ?? 0) * MICROS)),
      );
      const tokens = tokenCosts(
        totalCostMicros,
        {
          promptTokens: sum(list.map(s => s.promptTokens)),
          generationTokens: sum(list.map(s => s.generationTokens)),
          requests: sum(list.map(s => s.requests)),
        },
        sheet.generationTokenWeight,
      );
      // The team's split is the sum of its services' splits (not a split of the sum), so it adds up too.
      if (tokens.totalTokens > 0) {
        tokens.inputCost = fromMicros(inputMicros);
        tokens.outputCost = fromMicros(totalCostMicros - inputMicros);
        if (tokens.promptTokens > 0)
          tokens.inputCostPerMillionTokens = inputMicros / tokens.promptTokens;
        if (tokens.generationTokens > 0)
          tokens.outputCostPerMillionTokens =
            (totalCostMicros - inputMicros) / tokens.generationTokens;
      }
      const measured = gpuHours - unmeasured;
      const projectList = ofProject(info?.project, list);
      const projectMtd = sum(
        projectList.map(s => s.monthToDate.totalCostMicros),
      );
      const projectProjected = sum(
        projectList.map(s => s.projectedMonth.totalCostMicros),
      );
      const projectGpuHours = sum(projectList.map(s => s.monthToDate.gpuHours));
      let quota: TeamShowback['quota'];
      if (info?.quotaGpus !== undefined) {
        const avgPerHour =
          projectGpuHours > 0
            ? projectMtd / MICROS / projectGpuHours
            : (sheet.defaultPerHour ??
              sheet.prices.find(p => p.product === undefined)?.perHour ??
              0);
        const ceiling = Math.round(
          info.quotaGpus * monthHours * avgPerHour * MICROS,
        );
        quota = {
          gpus: info.quotaGpus,
          monthlyCost: fromMicros(ceiling),
          ...(ceiling > 0 ? { spentShare: projectMtd / ceiling } : {}),
          ...(info.quotaGpus > 0 && elapsedHours > 0
            ? { heldShare: projectGpuHours / (info.quotaGpus * elapsedHours) }
            : {}),
        };
      }
      return {
        team,
        ...(info?.project ? { project: info.project } : {}),
        services: list.length,
        gpuHours: r6(gpuHours),
        idleGpuHours: r6(idle),
        unmeasuredGpuHours: r6(unmeasured),
        ...(measured > 1e-9 ? { idleShare: Math.min(1, idle / measured) } : {}),
        totalCost: fromMicros(totalCostMicros),
        totalCostMicros,
        ...tokenFields(tokens),
        gpusNow: r6(sum(list.map(s => s.gpusNow))),
        costPerHourNow: fromMicros(perHour),
        costPerHourNowMicros: perHour,
        monthToDate: {
          totalCost: fromMicros(mtd),
          totalCostMicros: mtd,
          gpuHours: r6(mtdGpuHours),
        },
        projectedMonth: {
          totalCost: fromMicros(projected),
          totalCostMicros: projected,
        },
        ...(info?.budget
          ? {
              budget: budgetStatus(projectMtd, projectProjected, info.budget),
            }
          : {}),
        ...(quota ? { quota } : {}),
      };
    })
    .sort(
      (a, b) =>
        b.monthToDate.totalCostMicros - a.monthToDate.totalCostMicros ||
        a.team.localeCompare(b.team),
    );
}
