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

/**
 * What a finding of the InferenceService checks is, and the few helpers every check uses to write one. Both the
 * checks of this folder and `../limits.ts` import it, so neither imports the other for a type.
 */

/** One finding of {@link validateInferenceService}. @public */
export interface ValidationIssue {
  /** JSON path of the offending field, e.g. `spec.roles[1].replicas` (empty for the whole document). */
  path: string;
  /** What is wrong and what to do, for a person. */
  message: string;
  severity: 'error' | 'warning';
}

/** Result of {@link validateInferenceService}. @public */
export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Formats an issue as the one-line `path: message` the CLI prints. @public */
export function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** Records one finding at a path (the checks get one for errors and one for warnings). */
export type Report = (path: string, message: string) => void;

/** A TCP/UDP port number: an integer from 1 to 65535. */
export const isPortNumber = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as a message names it: its kind, or a string or scalar itself (shortened). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${trunc(v)}"`;
  return `${typeof v} ${String(v)}`;
}

/** `s` cut to `n` characters, so a hostile value cannot make a message huge. */
export function trunc(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
