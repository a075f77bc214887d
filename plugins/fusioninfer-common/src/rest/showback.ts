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

import { z } from 'zod';

/*
 * Showback: GPU cost per service and per team (`GET /showback`, `GET …/services/:name/showback`). Field names follow
 * OpenCost's allocation (`gpuHours`, `totalCost`, `window`) and inference-cost APIs (`promptTokens`,
 * `generationTokens`, `totalTokens`, `costPerMillionTokens`, `inputCost`, `outputCost`, `inputCostPerMillionTokens`,
 * `outputCostPerMillionTokens`, `allocationMethod`, `costBasis`), so a reader of either finds the same names. Money
 * is given twice: `…Cost` in currency units for people, `…CostMicros` in integer millionths for sums that must add
 * up (a team's total is the sum of its services' micros, exactly).
 */

const name = z.string().max(253);
const amount = z.number().finite().min(0);
const micros = z.number().int().min(0);
const share = z.number().finite().min(0);

/** The longest window `GET /showback` answers, in days (the usage kept is as long). @public */
export const MAX_SHOWBACK_WINDOW_DAYS = 45;

/** An instant as the query takes it: ISO 8601 with a time zone, e.g. `2026-12-01T00:00:00Z`. */
const instant = z
  .string()
  .max(40)
  .refine(
    v =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(
        v,
      ) && !Number.isNaN(Date.parse(v)),
    'must be an ISO 8601 date and time with a zone, e.g. 2026-12-01T00:00:00Z',
  );

/** `GET /showback` query: the window (default: this month so far, UTC) and optionally one team. @public */
export const showbackQuerySchema = z.strictObject({
  from: instant
    .optional()
    .describe('Start of the window (default: the first of this month, UTC)'),
  to: instant.optional().describe('End of the window (default: now)'),
  team: z
    .string()
    .max(300)
    .regex(
      /^group:[a-zA-Z0-9][a-zA-Z0-9_.-]*\/[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
      'must be a group entity ref such as group:default/llm-apps',
    )
    .optional()
    .describe('Only this team (the group that owns the services)'),
});
/** `GET /showback` query. @public */
export type ShowbackQuery = z.infer<typeof showbackQuerySchema>;

/** `GET …/services/:name/showback` query: the window. @public */
export const serviceShowbackQuerySchema = showbackQuerySchema.omit({
  team: true,
});
/** `GET …/services/:name/showback` query. @public */
export type ServiceShowbackQuery = z.infer<typeof serviceShowbackQuerySchema>;

/** A time window (OpenCost's `window`). @public */
export const showbackWindowSchema = z
  .strictObject({ start: z.string(), end: z.string() })
  .meta({ id: 'ShowbackWindow' });

/** Money in currency units and in integer millionths. @public */
export const showbackMoneySchema = z
  .strictObject({ totalCost: amount, totalCostMicros: micros })
  .meta({ id: 'ShowbackMoney' });
/** Money in currency units and in integer millionths. @public */
export type ShowbackMoney = z.infer<typeof showbackMoneySchema>;

/** One accelerator type of a service in the window: unit-hours held and their cost. @public */
export const showbackAcceleratorSchema = z
  .strictObject({
    resource: name,
    product: name.optional(),
    /** Unit-hours of the resource held (a MIG slice is one unit). */
    gpuHours: amount,
    idleGpuHours: amount,
    /** Price per unit-hour applied. */
    pricePerHour: amount,
    priceSource: z.enum(['product', 'resource', 'default', 'none', 'opencost']),
    totalCost: amount,
    totalCostMicros: micros,
  })
  .meta({ id: 'ShowbackAccelerator' });
/** One accelerator type of a service. @public */
export type ShowbackAccelerator = z.infer<typeof showbackAcceleratorSchema>;

/** The cost split between prompt and generation tokens, OpenCost's inference-cost field names. @public */
const tokenCostFields = {
  promptTokens: amount,
  generationTokens: amount,
  totalTokens: amount,
  /** Finished requests counted. */
  requests: amount,
  costPerMillionTokens: amount.optional(),
  inputCost: amount.optional(),
  outputCost: amount.optional(),
  inputCostPerMillionTokens: amount.optional(),
  outputCostPerMillionTokens: amount.optional(),
  /** How the cost is split: `multiplier` (a generation token weighs `generationTokenWeight` prompt tokens). */
  allocationMethod: z.literal('multiplier'),
};

/** Showback of one service. @public */
export const serviceShowbackSchema = z
  .strictObject({
    cluster: name,
    namespace: name,
    name,
    entityRef: name,
    /** The group that owns the service (catalog ownership); absent: none known. */
    team: name.optional(),
    project: name.optional(),
    /** GPU-hours held in the window, in GPU equivalents. */
    gpuHours: amount,
    /** Of which held by replicas that served nothing. */
    idleGpuHours: amount,
    /** Of which held by replicas whose counters could not be read. */
    unmeasuredGpuHours: amount,
    /** idleGpuHours ÷ (gpuHours − unmeasuredGpuHours); absent when nothing was measured. */
    idleShare: share.optional(),
    accelerators: z.array(showbackAcceleratorSchema).max(32),
    totalCost: amount,
    totalCostMicros: micros,
    ...tokenCostFields,
    /** GPU equivalents held now. */
    gpusNow: amount,
    costPerHourNow: amount,
    costPerHourNowMicros: micros,
    /** The size its spec asks for (what was approved), priced like what it holds. */
    approved: z
      .strictObject({
        gpus: amount,
        costPerHour: amount,
        /** GPU-hours held this month ÷ (approved GPUs × hours recorded this month). */
        heldShare: share.optional(),
      })
      .optional(),
    monthToDate: showbackMoneySchema.extend({ gpuHours: amount }),
    /** Month to date plus its average hourly cost so far for the rest of the month (0 more when it holds nothing now). */
    projectedMonth: showbackMoneySchema,
  })
  .meta({ id: 'ServiceShowback' });
/** Showback of one service. @public */
export type ServiceShowback = z.infer<typeof serviceShowbackSchema>;

/** Budget statuses: spent ≥ 100 %, spent ≥ 80 %, projected ≥ 100 %, or none of these. @public */
export const BUDGET_STATUSES = [
  'ok',
  'projected-over',
  'warning',
  'exceeded',
] as const;

/** A team's spend against its project's monthly budget. @public */
export const showbackBudgetSchema = z
  .strictObject({
    monthly: amount,
    currency: z.string(),
    /** Month to date ÷ monthly. */
    spentShare: share,
    /** Projected month ÷ monthly. */
    projectedShare: share,
    status: z.enum(BUDGET_STATUSES),
  })
  .meta({ id: 'ShowbackBudget' });
/** A team's spend against its budget. @public */
export type ShowbackBudget = z.infer<typeof showbackBudgetSchema>;

/** Showback of one team: the sums of its services (micros exactly), its budget and its quota. @public */
export const teamShowbackSchema = z
  .strictObject({
    team: name,
    project: name.optional(),
    /** The services summed (those the caller may read). */
    services: z.number().int().min(0),
    gpuHours: amount,
    idleGpuHours: amount,
    unmeasuredGpuHours: amount,
    idleShare: share.optional(),
    totalCost: amount,
    totalCostMicros: micros,
    ...tokenCostFields,
    gpusNow: amount,
    costPerHourNow: amount,
    costPerHourNowMicros: micros,
    monthToDate: showbackMoneySchema.extend({ gpuHours: amount }),
    projectedMonth: showbackMoneySchema,
    budget: showbackBudgetSchema.optional(),
    /** The project's GPU quota in force (all clusters), priced at the team's average price. */
    quota: z
      .strictObject({
        gpus: amount,
        /** The quota held all month at the average price per GPU-hour. */
        monthlyCost: amount,
        /** Month to date ÷ monthlyCost. */
        spentShare: share.optional(),
        /** GPU-hours held this month ÷ (quota × hours of the month so far). */
        heldShare: share.optional(),
      })
      .optional(),
  })
  .meta({ id: 'TeamShowback' });
/** Showback of one team. @public */
export type TeamShowback = z.infer<typeof teamShowbackSchema>;

const showbackHeader = {
  /** `fusioninfer`: the plugin's own samples and price sheet; `opencost`: costs from OpenCost's allocation API. */
  source: z.enum(['fusioninfer', 'opencost']),
  costBasis: z.literal('allocation'),
  currency: z.string(),
  window: showbackWindowSchema,
  /** The current month (UTC), which monthToDate and projectedMonth cover. */
  month: showbackWindowSchema,
  generatedAt: z.string(),
};

/** `GET /showback`: per team and per service, only services the caller may read. @public */
export const showbackResponseSchema = z
  .strictObject({
    ...showbackHeader,
    teams: z.array(teamShowbackSchema),
    services: z.array(serviceShowbackSchema),
    errors: z.array(
      z.strictObject({ cluster: z.string().optional(), message: z.string() }),
    ),
  })
  .meta({ id: 'ShowbackResponse' });
/** `GET /showback`. @public */
export type ShowbackResponse = z.infer<typeof showbackResponseSchema>;

/** `GET …/services/:name/showback`: one service. @public */
export const serviceShowbackResponseSchema = z
  .strictObject({
    ...showbackHeader,
    service: serviceShowbackSchema,
    errors: z.array(
      z.strictObject({ cluster: z.string().optional(), message: z.string() }),
    ),
  })
  .meta({ id: 'ServiceShowbackResponse' });
/** `GET …/services/:name/showback`. @public */
export type ServiceShowbackResponse = z.infer<
  typeof serviceShowbackResponseSchema
>;
