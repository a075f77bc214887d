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

import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { BudgetCrossing } from './UsageRecorder';

const money = (amount: number, currency: string) =>
  `${amount.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })} ${currency}`;

/** Where the team's showback card is: the first owner group's catalog page. */
export function teamPageOf(owners: readonly string[]): string | undefined {
  try {
    const { kind, namespace, name } = parseEntityRef(owners[0] ?? '', {
      defaultKind: 'group',
    });
    return `/catalog/${namespace}/${kind.toLowerCase()}/${name}`;
  } catch {
    return undefined;
  }
}

/**
 * Tells a project's owner groups that it crossed a budget threshold this month, through the notifications service
 * as approvals do (absent: nothing is sent). One scope per project and month, so the 100 % notice replaces the 80 %
 * one in the inbox. A failure is logged, never thrown.
 */
export function notifyBudget(
  notifications: NotificationService | undefined,
  logger: LoggerService,
  c: BudgetCrossing,
): void {
  if (!notifications || !c.owners.length) return;
  const exceeded = c.threshold >= 100;
  const link = teamPageOf(c.owners);
  notifications
    .send({
      recipients: { type: 'entity', entityRef: c.owners },
      payload: {
        title: `${exceeded ? 'Budget exceeded' : 'Budget at 80 %'}: ${c.project}, ${c.month}`,
        description: `The GPU spend of project ${c.project} this month is ${money(c.spent, c.currency)}, ${Math.round(c.spentShare * 100)} % of its monthly budget of ${money(c.monthly, c.currency)}.`,
        ...(link ? { link } : {}),
        severity: exceeded ? 'high' : 'normal',
        topic: 'fusioninfer-budget',
        scope: `fusioninfer-budget:${c.project}:${c.month}`,
      },
    })
    .catch(e =>
      logger.warn(
        `could not send the budget notification of ${c.project} (${c.threshold} %): ${(e as Error).message}`,
      ),
    );
}
