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

// @ts-check

/**
 * Showback: what each InferenceService used per hour (sampled by the instance that leads its cluster, summed into
 * one row per service and hour, and one per accelerator type), and the budget notifications already sent (one per
 * project, month and threshold). Times are epoch milliseconds (bigint), the same on SQLite and PostgreSQL.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fusioninfer_usage', table => {
    table.comment(
      'Usage of InferenceServices per hour: seconds sampled, token and request counters increases, attribution',
    );
    table.string('cluster', 63).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 253).notNullable();
    table
      .bigInteger('hour')
      .notNullable()
      .comment('start of the hour (epoch ms, UTC)');
    table
      .string('entity_ref', 512)
      .notNullable()
      .comment('the entity the service belongs to (permission checks)');
    table
      .string('team', 512)
      .nullable()
      .comment('group entity ref owning the service when last sampled');
    table
      .string('project', 253)
      .nullable()
      .comment('key of fusioninfer.projects of the team');
    table
      .double('seconds')
      .notNullable()
      .comment('wall-clock seconds sampled in the hour');
    table.double('prompt_tokens').notNullable();
    table.double('generation_tokens').notNullable();
    table.double('requests').notNullable();
    table
      .bigInteger('first_at')
      .notNullable()
      .comment('start of the first sample in the hour (epoch ms)');
    table.primary(['cluster', 'namespace', 'name', 'hour']); // fusioninfer_usage_pkey
    table.index(['hour'], 'fusioninfer_usage_hour_idx');
  });
  await knex.schema.createTable('fusioninfer_usage_accelerators', table => {
    table.comment(
      'Accelerator unit-seconds of InferenceServices per hour and accelerator type (resource and GPU product)',
    );
    table.string('cluster', 63).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 253).notNullable();
    table.bigInteger('hour').notNullable();
    table
      .string('resource', 253)
      .notNullable()
      .comment('extended resource name, e.g. nvidia.com/gpu');
    table
      .string('product', 253)
      .notNullable()
      .comment('nvidia.com/gpu.product label of the node; empty when unknown');
    table.double('seconds').notNullable().comment('units held × seconds');
    table.double('idle_seconds').notNullable();
    table.double('unmeasured_seconds').notNullable();
    table.primary([
      'cluster',
      'namespace',
      'name',
      'hour',
      'resource',
      'product',
    ]); // fusioninfer_usage_accelerators_pkey
    table.index(['hour'], 'fusioninfer_usage_accelerators_hour_idx');
  });
  await knex.schema.createTable('fusioninfer_budget_notices', table => {
    table.comment(
      'Budget notifications sent: one per team project, month (UTC) and threshold (percent)',
    );
    table.string('project', 253).notNullable();
    table.string('month', 7).notNullable().comment('YYYY-MM');
    table.integer('threshold').notNullable().comment('80 or 100');
    table.double('spent_share').notNullable();
    table.bigInteger('notified_at').notNullable();
    table.primary(['project', 'month', 'threshold']); // fusioninfer_budget_notices_pkey
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fusioninfer_budget_notices');
  await knex.schema.dropTable('fusioninfer_usage_accelerators');
  await knex.schema.dropTable('fusioninfer_usage');
};
