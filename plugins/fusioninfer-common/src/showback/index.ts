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

export {
  DEFAULT_GENERATION_TOKEN_WEIGHT,
  PRICE_SHEET_LIMITS,
  priceFor,
  readPriceSheet,
} from './prices';
export type { PriceSheet, PriceSource, ShowbackPrice } from './prices';
export {
  acceleratorTypeKey,
  addUsage,
  gpuEquivalentsOf,
  holdingsOf,
  modelServerCounters,
  observeReplicas,
  replicaActivity,
  USAGE_LIMITS,
  usageSampleOf,
} from './usage';
export type {
  AcceleratorHolding,
  AcceleratorType,
  AcceleratorUsage,
  ModelServerCounters,
  ObserveReplicasOptions,
  ReplicaActivity,
  ReplicaUsageObservation,
  ServiceUsageObservation,
  UsageSample,
  UsageSampleOptions,
} from './usage';
export {
  apportion,
  BUDGET_THRESHOLDS,
  budgetShare,
  budgetStatus,
  budgetThresholdsToNotify,
  costOfUsage,
  costPerHourMicros,
  fromMicros,
  monthOf,
  resolveShowbackWindow,
  serviceShowback,
  teamShowback,
  tokenCosts,
} from './showback';
export type {
  ProjectBudget,
  ServiceShowbackInput,
  ShowbackMonth,
  TeamInfo,
  TokenCosts,
  UsageCost,
} from './showback';
