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
 * Team project quotas raised (or lowered) by an approver: one row per project and cluster replaces
 * `fusioninfer.projects.<project>.gpuQuota.<cluster>` until it is deleted.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fusioninfer_project_quotas', table => {
    table.comment(
      'GPU quotas of team projects set by an approver (fusioninfer.project.quota.update); they replace the configured ones',
    );
    table
      .string('project', 253)
      .notNullable()
      .comment('key of fusioninfer.projects');
    table
      .string('cluster', 63)
      .notNullable()
      .comment('name of fusioninfer.clusters');
    table
      .double('gpus')
      .notNullable()
      .comment('the quota in force (GPU equivalents)');
    table.string('reason', 500).notNullable();
    table
      .string('raised_by', 512)
      .notNullable()
      .comment('user entity ref of the approver');
    table.timestamp('raised_at', { useTz: true }).notNullable();
    table.primary(['project', 'cluster']); // fusioninfer_project_quotas_pkey
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fusioninfer_project_quotas');
};
