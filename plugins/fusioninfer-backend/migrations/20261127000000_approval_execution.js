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
 * Approval requests become a gate: each is bound to the hash of its manifest and records what the backend did after
 * approval (it applies the stored manifest exactly once).
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('fusioninfer_approvals', table => {
    table
      .string('spec_hash', 64)
      .nullable()
      .comment('specHash of the stored manifest: what an approval approves');
    table
      .text('options')
      .nullable()
      .comment('JSON apply options: children, update, baseGeneration');
    table
      .string('execution_state', 16)
      .nullable()
      .comment('null (not executed) | applying | applied | failed');
    table
      .timestamp('execution_at', { useTz: true })
      .nullable()
      .comment(
        'when execution_state was last set (claims older than a lease may be retried)',
      );
    table.text('execution_message').nullable();
    table.index(
      ['status', 'execution_state'],
      'fusioninfer_approvals_execution_idx',
    );
    table.index(
      ['requested_by', 'spec_hash'],
      'fusioninfer_approvals_hash_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('fusioninfer_approvals', table => {
    table.dropIndex([], 'fusioninfer_approvals_hash_idx');
    table.dropIndex([], 'fusioninfer_approvals_execution_idx');
    table.dropColumn('execution_message');
    table.dropColumn('execution_at');
    table.dropColumn('execution_state');
    table.dropColumn('options');
    table.dropColumn('spec_hash');
  });
};
