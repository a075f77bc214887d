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

/* What a request would change on the cluster, compared with the live service, and the manifest it would apply. */

import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { stringify } from 'yaml';
import {
  ApprovalRequest,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ErrorView } from '../common';
import { CopyButton } from '../InferenceContent/DriftPanel';
import { plural } from '../../lib/plural';

type Manifest = {
  spec?: {
    roles?: Array<{
      name?: string;
      componentType?: string;
      replicas?: number;
      strategy?: string;
      multinode?: { nodeCount?: number };
    }>;
  };
};

export interface ChangeLine {
  what: string;
  from?: string;
  to?: string;
}

/**
 * What applying the requested manifest would change compared with the live service (roles added or removed, replicas,
 * nodes per replica, strategy). `live` undefined means the service does not exist yet.
 */
export function approvalChanges(
  request: Pick<ApprovalRequest, 'action' | 'manifest'>,
  live: ServiceDetail | undefined,
): ChangeLine[] {
  const m = (request.manifest ?? {}) as Manifest;
  const wanted = (m.spec?.roles ?? []).map(r => ({
    name: r.name ?? '?',
    componentType: r.componentType ?? '?',
    replicas: r.componentType === 'router' ? undefined : (r.replicas ?? 1),
    nodes: r.multinode?.nodeCount ?? 1,
    strategy: r.strategy,
  }));
  if (request.action === 'delete')
    return [{ what: 'Deletes the service and all its children' }];
  if (!live)
    return [
      { what: 'Creates a new service' },
      ...wanted.map(r => ({
        what: `role ${r.name} (${r.componentType})`,
        to:
          r.replicas === undefined
            ? `router${r.strategy ? `, ${r.strategy}` : ''}`
            : `${r.replicas} × ${plural(r.nodes, 'node')}`,
      })),
    ];
  const out: ChangeLine[] = [];
  const have = live.spec.roles;
  for (const r of wanted) {
    const h = have.find(x => x.name === r.name);
    if (!h) {
      out.push({
        what: `adds role ${r.name} (${r.componentType})`,
        to:
          r.replicas === undefined
            ? 'router'
            : `${r.replicas} × ${plural(r.nodes, 'node')}`,
      });
      continue;
    }
    if (r.replicas !== undefined && h.replicas !== r.replicas)
      out.push({
        what: `${r.name}: replicas`,
        from: String(h.replicas ?? 1),
        to: String(r.replicas),
      });
    if (r.replicas !== undefined && h.nodesPerReplica !== r.nodes)
      out.push({
        what: `${r.name}: nodes per replica`,
        from: String(h.nodesPerReplica),
        to: String(r.nodes),
      });
    if (
      r.componentType === 'router' &&
      (h.strategy ?? 'prefix-cache') !== (r.strategy ?? 'prefix-cache')
    )
      out.push({
        what: `${r.name}: strategy`,
        from: h.strategy ?? 'prefix-cache',
        to: r.strategy ?? 'prefix-cache',
      });
  }
  for (const h of have)
    if (!wanted.some(r => r.name === h.name))
      out.push({ what: `removes role ${h.name} (${h.componentType})` });
  if (out.length === 0)
    out.push({
      what: 'No change to roles, replicas or strategy (other fields of the spec may differ)',
    });
  return out;
}

function changeTail(c: ChangeLine): string {
  if (c.from !== undefined) return `: ${c.from} → ${c.to}`;
  return c.to ? `: ${c.to}` : '';
}

/** The changes, while the live service is read a progress bar, or why it could not be read. */
export function ChangesList(props: {
  /** Undefined while the live service is being read. */
  changes: ChangeLine[] | undefined;
  liveError: Error | undefined;
}) {
  const { changes } = props;
  return (
    <>
      <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
        What it would change on the cluster
      </Typography>
      {props.liveError && (
        <ErrorView
          error={props.liveError}
          action="read the live service to compare"
        />
      )}
      {!changes && !props.liveError && (
        <LinearProgress aria-label="Comparing with the live service" />
      )}
      {changes && (
        <Box component="ul" sx={{ mt: 0 }} aria-label="Changes">
          {changes.map((c, i) => (
            <li key={i}>
              <Typography variant="body2">
                {c.what}
                {changeTail(c)}
              </Typography>
            </li>
          ))}
        </Box>
      )}
    </>
  );
}

/** The requested manifest as YAML, with a copy button. */
export function ManifestView(props: { manifest: unknown }) {
  return (
    <>
      <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mt: 2 }}>
        <Typography variant="subtitle2" component="h3">
          Manifest
        </Typography>
        <CopyButton text={stringify(props.manifest)} label="Copy YAML" />
      </Box>
      <Box
        component="pre"
        tabIndex={0}
        aria-label="Requested manifest"
        sx={{
          maxHeight: 320,
          overflow: 'auto',
          p: 1,
          m: 0,
          bgcolor: 'action.hover',
          fontSize: 12,
        }}
      >
        {stringify(props.manifest)}
      </Box>
    </>
  );
}
