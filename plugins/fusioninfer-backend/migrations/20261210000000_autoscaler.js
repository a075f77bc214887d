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
 * The autoscaler's memory per service: the state its decisions carry (stabilisation window, last change, idle
 * period) and its last decision, written by the instance that leads the cluster and read by every instance (the
 * Inference tab's Autoscaling section), so a new leader resumes the window and the cooldown where the last one left.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fusioninfer_autoscaler', table => {
    table.comment(
      'State and last decision of the autoscaler per InferenceService (annotation fusioninfer.io/autoscaling)',
    );
    table
      .string('cluster', 63)
      .notNullable()
      .comment('name of fusioninfer.clusters');
    table.string('namespace', 63).notNullable();
    table.string('name', 253).notNullable();
    table
      .string('uid', 128)
      .nullable()
      .comment(
        'UID of the service decided on (a new service of the same name starts afresh)',
      );
    table
      .text('state')
      .notNullable()
      .comment(
        'JSON: per role the recommendations of the window, the last change, idle since',
      );
    table
      .text('decision')
      .notNullable()
      .comment(
        'JSON: the last decision per role, with what blocked it and what the autoscaler did',
      );
    table.timestamp('decided_at', { useTz: true }).notNullable();
    table.primary(['cluster', 'namespace', 'name']); // fusioninfer_autoscaler_pkey
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fusioninfer_autoscaler');
};
