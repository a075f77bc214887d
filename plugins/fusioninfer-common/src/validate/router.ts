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

import { ROUTING_STRATEGIES } from '../constants';
import { parseEndpointPickerConfig } from '../eppConfig';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../names';
import { describeValue, isObj, isPortNumber, Report, trunc } from './issues';

const HTTPROUTE_SPEC_FIELDS = new Set(['parentRefs', 'hostnames', 'rules']);
const PARENT_REF_FIELDS = new Set([
  'group',
  'kind',
  'namespace',
  'name',
  'sectionName',
  'port',
]);
/** A listener hostname: a DNS-1123 subdomain, optionally behind a `*.` wildcard label. */
const isHostname = (h: string) =>
  h.length <= 253 &&
  dns1123SubdomainProblems(h.startsWith('*.') ? h.slice(2) : h).length === 0;

/** Checks a router role: its EndpointPickerConfig or strategy, and the HTTPRoute it describes. */
export function checkRouter(
  role: Record<string, unknown>,
  base: string,
  pd: boolean,
  error: Report,
  warn: Report,
) {
  const epc = role.endpointPickerConfig;
  if (typeof epc === 'string' && epc.trim().length > 0) {
    if (role.strategy !== undefined)
      warn(
        `${base}.strategy`,
        'is ignored: endpointPickerConfig is set and takes precedence',
      );
    for (const issue of parseEndpointPickerConfig(epc).issues) {
      const where = `${base}.endpointPickerConfig`;
      const msg = issue.path
        ? `${issue.path}: ${issue.message}`
        : issue.message;
      (issue.severity === 'error' ? error : warn)(where, msg);
    }
  } else if (typeof epc === 'string' && epc.length > 0) {
    warn(
      `${base}.endpointPickerConfig`,
      'is blank and therefore ignored; the strategy applies',
    );
  }
  if (
    role.strategy === 'pd-disaggregation' &&
    !pd &&
    !(typeof epc === 'string' && epc.trim())
  ) {
    error(
      `${base}.strategy`,
      'pd-disaggregation needs both a prefiller role and a decoder role (upstream silently fell back to prefix-cache)',
    );
  }
  if (
    role.strategy !== undefined &&
    typeof role.strategy === 'string' &&
    !(ROUTING_STRATEGIES as readonly string[]).includes(role.strategy)
  ) {
    return; // the schema check reports the enum
  }
  if (role.gateway !== undefined)
    warn(
      `${base}.gateway`,
      'is reserved and ignored: no Gateway is created; reference an existing Gateway in httproute.parentRefs',
    );
  const hr = role.httproute;
  if (hr === undefined) {
    warn(
      `${base}.httproute`,
      'is not set: the HTTPRoute has no parentRefs and attaches to no Gateway, so no traffic reaches the pool',
    );
    return;
  }
  if (!isObj(hr)) return; // schema
  for (const key of Object.keys(hr)) {
    if (!HTTPROUTE_SPEC_FIELDS.has(key))
      error(
        `${base}.httproute.${key}`,
        'unknown field: not part of a Gateway API HTTPRouteSpec (parentRefs, hostnames, rules)',
      );
  }
  if (hr.rules !== undefined)
    warn(
      `${base}.httproute.rules`,
      'is replaced: the generated HTTPRoute always has exactly one rule that forwards to the InferencePool',
    );
  if (
    hr.parentRefs === undefined ||
    (Array.isArray(hr.parentRefs) && hr.parentRefs.length === 0)
  ) {
    warn(
      `${base}.httproute.parentRefs`,
      'is empty: the HTTPRoute attaches to no Gateway, so no traffic reaches the pool',
    );
  } else if (!Array.isArray(hr.parentRefs)) {
    error(
      `${base}.httproute.parentRefs`,
      'must be a list of parent references ({name, namespace?, sectionName?, port?})',
    );
  } else {
    if (hr.parentRefs.length > 32)
      error(`${base}.httproute.parentRefs`, 'must have at most 32 items');
    hr.parentRefs.forEach((ref, j) => {
      const p = `${base}.httproute.parentRefs[${j}]`;
      if (!isObj(ref)) {
        error(p, 'must be an object with at least a name');
        return;
      }
      if (typeof ref.name !== 'string' || ref.name.length === 0)
        error(`${p}.name`, 'Required value: the name of the Gateway');
      else
        for (const m of dns1123SubdomainProblems(ref.name))
          error(`${p}.name`, `Invalid value: "${trunc(ref.name)}": ${m}`);
      for (const k of ['group', 'kind', 'sectionName'] as const) {
        if (ref[k] !== undefined && typeof ref[k] !== 'string')
          error(`${p}.${k}`, 'must be a string');
      }
      if (ref.namespace !== undefined) {
        if (typeof ref.namespace !== 'string')
          error(`${p}.namespace`, 'must be a string');
        else
          for (const m of dns1123LabelProblems(ref.namespace))
            error(
              `${p}.namespace`,
              `Invalid value: "${trunc(ref.namespace)}": ${m}`,
            );
      }
      if (ref.port !== undefined && !isPortNumber(ref.port)) {
        error(`${p}.port`, 'must be an integer between 1 and 65535');
      }
      for (const k of Object.keys(ref))
        if (!PARENT_REF_FIELDS.has(k))
          error(
            `${p}.${k}`,
            `unknown field: a parentRef has ${[...PARENT_REF_FIELDS].join(', ')}`,
          );
    });
  }
  if (hr.hostnames !== undefined) {
    if (!Array.isArray(hr.hostnames))
      error(`${base}.httproute.hostnames`, 'must be a list of hostnames');
    else {
      if (hr.hostnames.length > 16)
        error(`${base}.httproute.hostnames`, 'must have at most 16 items');
      hr.hostnames.forEach((h, j) => {
        if (typeof h !== 'string' || !isHostname(h)) {
          error(
            `${base}.httproute.hostnames[${j}]`,
            `Invalid value: ${describeValue(h)}: must be a lowercase DNS name, optionally prefixed by "*." (no IP addresses or ports)`,
          );
        }
      });
    }
  }
}
