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

import { parseDocument } from 'yaml';
import { YAML_MAX_NESTING_BOUND, yamlNestingBound } from './kubeYaml';
import { RoutingStrategy } from './types';

const HEADER =
  'apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n';

function singleScorer(scorer: string, parameters?: string): string {
  return (
    `${HEADER}plugins:\n- type: ${scorer}\n${parameters ?? ''}- type: max-score-picker\n` +
    `schedulingProfiles:\n- name: default\n  plugins:\n  - pluginRef: max-score-picker\n` +
    `  - pluginRef: ${scorer}\n    weight: 100\n`
  );
}

const PREFIX_PARAMS =
  '  parameters:\n    blockSize: 5\n    maxPrefixBlocksToMatch: 256\n    lruCapacityPerServer: 31250\n';

const PD_CONFIG = `${HEADER}plugins:
- type: pd-profile-handler
  parameters:
    threshold: 0
    hashBlockSize: 5
    primaryPort: 8000
- type: prefill-header-handler
- type: by-label
  name: prefill-pods
  parameters:
    label: "fusioninfer.io/component-type"
    validValues: ["prefiller"]
- type: by-label
  name: decode-pods
  parameters:
    label: "fusioninfer.io/component-type"
    validValues: ["decoder"]
- type: prefix-cache-scorer
  parameters:
    hashBlockSize: 5
    maxPrefixBlocksToMatch: 256
    lruCapacityPerServer: 31250
- type: max-score-picker
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-pods
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 50
- name: decode
  plugins:
  - pluginRef: decode-pods
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 50
`;

/**
 * The EndpointPickerConfig document FusionInfer generates for a strategy (spec §3.7, byte-identical to upstream).
 * `pd-disaggregation` yields the P/D config only when `pdCapable` (the service has prefillers and decoders);
 * otherwise, like an empty or unknown strategy, the prefix-cache config.
 * @public
 */
export function generateEndpointPickerConfig(
  strategy: string | undefined,
  pdCapable: boolean,
): string {
  switch (effectiveStrategy(strategy, pdCapable)) {
    case 'kv-cache-utilization':
      return singleScorer('kv-cache-utilization-scorer');
    case 'queue-size':
      return singleScorer('queue-scorer');
    case 'lora-affinity':
      return singleScorer('lora-affinity-scorer');
    case 'pd-disaggregation':
      return PD_CONFIG;
    default:
      return singleScorer('prefix-cache-scorer', PREFIX_PARAMS);
  }
}

/** The strategy that is really applied (upstream defaulting rules, spec §1.7). @public */
export function effectiveStrategy(
  strategy: string | undefined,
  pdCapable: boolean,
): RoutingStrategy {
  switch (strategy) {
    case 'kv-cache-utilization':
    case 'queue-size':
    case 'lora-affinity':
      return strategy;
    case 'pd-disaggregation':
      return pdCapable ? 'pd-disaggregation' : 'prefix-cache';
    default:
      return 'prefix-cache';
  }
}

/**
 * Plugin types that only the llm-d inference scheduler registers (not the GIE EPP image): a config using any of them
 * needs the llm-d image or the EPP exits with "plugin type ... is not found in registry" (metrics-and-status §0.3).
 * @public
 */
export const LLM_D_ONLY_PLUGIN_TYPES: readonly string[] = [
  'pd-profile-handler',
  'prefill-header-handler',
  'by-label',
  'by-label-selector',
  'prefill-filter',
  'decode-filter',
  'precise-prefix-cache-scorer',
  'load-aware-scorer',
  'active-request-scorer',
  'session-affinity-scorer',
  'no-hit-lru-scorer',
  'data-parallel-profile-handler',
  'disagg-profile-handler',
];

/** One problem found in an EndpointPickerConfig document. @public */
export interface EppConfigIssue {
  /** Path inside the document, e.g. `plugins[1].type` (empty for the whole document). */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Result of parsing an EndpointPickerConfig. @public */
export interface ParsedEndpointPickerConfig {
  issues: EppConfigIssue[];
  /** Plugin types in declaration order (when the document parsed). */
  pluginTypes: string[];
}

const TOP_LEVEL_V1_2 = new Set([
  'apiVersion',
  'kind',
  'plugins',
  'schedulingProfiles',
  'featureGates',
  'saturationDetector',
]);
const TOP_LEVEL_LATER = new Set(['data', 'dataLayer', 'flowControl', 'parser']);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and checks an EndpointPickerConfig the way the EPP's loader does (GIE v1.2.1: strict top level, unique
 * plugin names, profiles that reference declared plugins). Never throws.
 * @public
 */
export function parseEndpointPickerConfig(
  text: string,
): ParsedEndpointPickerConfig {
  const issues: EppConfigIssue[] = [];
  const err = (path: string, message: string) =>
    issues.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) =>
    issues.push({ path, message, severity: 'warning' });
  const pluginTypes: string[] = [];
  let doc: unknown;
  // The YAML parser recurses per level: bound the nesting before parsing (hostile input can crash the process).
  if (yamlNestingBound(text) > YAML_MAX_NESTING_BOUND) {
    err(
      '',
      `is nested too deeply to be parsed safely (nesting bound above ${YAML_MAX_NESTING_BOUND}: one per open bracket, two per column of indentation); an EndpointPickerConfig is a few levels deep`,
    );
    return { issues, pluginTypes };
  }
  try {
    const parsed = parseDocument(text, {
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (parsed.errors.length > 0) {
      err('', `is not valid YAML: ${parsed.errors[0].message.split('\n')[0]}`);
      return { issues, pluginTypes };
    }
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (e) {
    err('', `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    return { issues, pluginTypes };
  }
  if (!isObj(doc)) {
    err(
      '',
      'must be a YAML mapping with apiVersion, kind, plugins and schedulingProfiles',
    );
    return { issues, pluginTypes };
  }
  if (doc.apiVersion !== 'inference.networking.x-k8s.io/v1alpha1') {
    err('apiVersion', 'must be "inference.networking.x-k8s.io/v1alpha1"');
  }
  if (doc.kind !== 'EndpointPickerConfig')
    err('kind', 'must be "EndpointPickerConfig"');
  for (const key of Object.keys(doc)) {
    if (TOP_LEVEL_LATER.has(key)) {
      warn(
        key,
        'is only understood by EPP versions after v1.2.1; the default EPP image rejects unknown top-level keys',
      );
    } else if (!TOP_LEVEL_V1_2.has(key)) {
      err(
        key,
        `unknown field; the EPP decodes the top level strictly (allowed: ${[...TOP_LEVEL_V1_2].join(', ')})`,
      );
    }
  }
  const names = new Set<string>();
  if (!Array.isArray(doc.plugins) || doc.plugins.length === 0) {
    err('plugins', 'is required and must list at least one plugin');
  } else {
    doc.plugins.forEach((p, i) => {
      const path = `plugins[${i}]`;
      if (!isObj(p)) {
        err(path, 'must be a mapping with a type');
        return;
      }
      if (typeof p.type !== 'string' || p.type.length === 0) {
        err(`${path}.type`, 'is required and must be a non-empty string');
        return;
      }
      pluginTypes.push(p.type);
      if (
        p.name !== undefined &&
        (typeof p.name !== 'string' || p.name.length === 0)
      ) {
        err(`${path}.name`, 'must be a non-empty string when set');
      }
      const name = typeof p.name === 'string' && p.name ? p.name : p.type;
      if (names.has(name))
        err(
          `${path}.name`,
          `duplicate plugin name "${name}" (the name defaults to the type)`,
        );
      names.add(name);
      if (p.parameters !== undefined && !isObj(p.parameters))
        err(`${path}.parameters`, 'must be a mapping');
      for (const key of Object.keys(p)) {
        if (!['type', 'name', 'parameters'].includes(key))
          err(
            `${path}.${key}`,
            'unknown field (allowed: type, name, parameters)',
          );
      }
    });
  }
  if (doc.schedulingProfiles !== undefined) {
    if (!Array.isArray(doc.schedulingProfiles)) {
      err('schedulingProfiles', 'must be a list of profiles');
    } else {
      const profileNames = new Set<string>();
      doc.schedulingProfiles.forEach((sp, i) => {
        const path = `schedulingProfiles[${i}]`;
        if (!isObj(sp) || typeof sp.name !== 'string' || sp.name.length === 0) {
          err(`${path}.name`, 'is required and must be a non-empty string');
          return;
        }
        if (profileNames.has(sp.name))
          err(`${path}.name`, `duplicate profile name "${sp.name}"`);
        profileNames.add(sp.name);
        if (!Array.isArray(sp.plugins)) {
          err(
            `${path}.plugins`,
            'is required and must be a list of plugin references',
          );
          return;
        }
        sp.plugins.forEach((ref, j) => {
          const rpath = `${path}.plugins[${j}]`;
          if (!isObj(ref) || typeof ref.pluginRef !== 'string') {
            err(
              `${rpath}.pluginRef`,
              'is required and must name a declared plugin',
            );
            return;
          }
          if (!names.has(ref.pluginRef)) {
            err(
              `${rpath}.pluginRef`,
              `references "${ref.pluginRef}", which is not declared under plugins`,
            );
          }
          if (
            ref.weight !== undefined &&
            !(typeof ref.weight === 'number' && Number.isInteger(ref.weight))
          ) {
            err(`${rpath}.weight`, 'must be an integer');
          }
        });
      });
    }
  } else {
    warn(
      'schedulingProfiles',
      'is missing; the EPP adds a "default" profile referencing every plugin',
    );
  }
  return { issues, pluginTypes };
}
