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

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('fusioninfer_approvals', table => {
    table.comment(
      'Approval requests for FusionInfer deployments that policy holds for a second person',
    );
    table.string('id', 36).primary().notNullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('pending | approved | rejected | expired | cancelled');
    table.string('action', 16).notNullable();
    table.string('cluster', 63).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 253).notNullable();
    table.string('entity_ref', 512).nullable();
    table.string('requested_by', 512).notNullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table.text('reasons').notNullable().comment('JSON array of strings');
    table.text('summary').nullable().comment('JSON');
    table.text('manifest').nullable().comment('JSON');
    table.string('decided_by', 512).nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.text('comment').nullable();
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.string('task_id', 255).nullable();
    table.index(['status', 'requested_at'], 'fusioninfer_approvals_status_idx');
    table.index(
      ['cluster', 'namespace', 'name'],
      'fusioninfer_approvals_service_idx',
    );
    table.index(['requested_by'], 'fusioninfer_approvals_requester_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fusioninfer_approvals');
};
