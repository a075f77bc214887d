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

import type { ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { RiArrowRightLine } from '@remixicon/react';
import { parse as parseYaml } from 'yaml';
import type {
  ChildrenResponse,
  RoutingMetricsResponse,
  ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';

type Parent = {
  parentRef?: { name?: string; namespace?: string; kind?: string };
  conditions?: Array<{
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
  }>;
};
type KubeObj = {
  kind: string;
  metadata: { name?: string };
  spec?: any;
  data?: Record<string, string>;
};

const asParents = (v: unknown): Parent[] =>
  Array.isArray(v) ? (v as Parent[]) : [];

/** Gateways and hostnames that reach the service: the HTTPRoute's parents as reported, else as rendered. */
export function routingEndpoint(
  detail: ServiceDetail,
  children?: ChildrenResponse,
): { gateways: string[]; hostnames: string[] } {
  const route = (children?.children as KubeObj[] | undefined)?.find(
    c => c.kind === 'HTTPRoute',
  );
  const reported = asParents(detail.router?.httpRoute?.parents)
    .map(p => p.parentRef?.name)
    .filter((n): n is string => !!n);
  const rendered = ((route?.spec?.parentRefs ?? []) as Array<{ name?: string }>)
    .map(p => p.name)
    .filter((n): n is string => !!n);
  return {
    gateways: [...new Set(reported.length ? reported : rendered)],
    hostnames: (route?.spec?.hostnames ?? []) as string[],
  };
}

function conditionChips(parents: Parent[], types: string[]) {
  if (parents.length === 0)
    return [
      <Chip
        key="none"
        size="small"
        variant="outlined"
        label="no parent reported"
      />,
    ];
  return parents.flatMap((p, i) =>
    types.map(t => {
      const c = p.conditions?.find(x => x.type === t);
      const ok = c?.status === 'True';
      let color: 'success' | 'error' | 'default' = 'default';
      let suffix = ' unknown';
      if (c) {
        color = ok ? 'success' : 'error';
        suffix = ok ? '' : `: ${c.reason ?? c.status}`;
      }
      return (
        <Chip
          key={`${i}-${t}`}
          size="small"
          color={color}
          variant={c ? 'filled' : 'outlined'}
          title={c?.message}
          label={`${t}${suffix}`}
        />
      );
    }),
  );
}

function Step(props: { title: string; name?: string; children?: ReactNode }) {
  return (
    <Paper
      variant="outlined"
      sx={{ p: 1, minWidth: 180, flex: '1 1 180px' }}
      component="section"
      aria-label={props.title}
    >
      <Typography variant="overline" component="h4">
        {props.title}
      </Typography>
      <Typography variant="body2" sx={{ wordBreak: 'break-all' }}>
        {props.name ? <code>{props.name}</code> : '—'}
      </Typography>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, mt: 0.5 }}>
        {props.children}
      </Box>
    </Paper>
  );
}

const Arrow = () => (
  <Box sx={{ display: 'flex', alignItems: 'center' }} aria-hidden>
    <RiArrowRightLine size={20} />
  </Box>
);

/** The endpoint-picker configuration the service renders (and, when the drift view says in sync, runs). */
export function eppConfigOf(
  detail: ServiceDetail,
  children?: ChildrenResponse,
):
  | {
      plugins: Array<{ name: string; type: string; parameters?: unknown }>;
      profiles: Array<{
        name: string;
        plugins: Array<{ pluginRef: string; weight?: number }>;
      }>;
    }
  | { error: string }
  | undefined {
  const cm = (children?.children as KubeObj[] | undefined)?.find(
    c =>
      c.kind === 'ConfigMap' && c.metadata.name === `${detail.name}-epp-config`,
  );
  const text = cm?.data?.['config.yaml'];
  if (!text) return undefined;
  try {
    const doc = parseYaml(text) as any;
    return {
      plugins: (doc?.plugins ?? []).map((p: any) => ({
        name: p?.name ?? p?.type,
        type: p?.type,
        parameters: p?.parameters,
      })),
      profiles: (doc?.schedulingProfiles ?? []).map((p: any) => ({
        name: p?.name,
        plugins: (p?.plugins ?? []).map((x: any) => ({
          pluginRef: x?.pluginRef,
          weight: x?.weight,
        })),
      })),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Warnings about routing, in words: the backend's findings, the EPP's scrape state and crash reasons. */
export function routingWarnings(
  detail: ServiceDetail,
  metrics?: RoutingMetricsResponse,
): Array<{ severity: 'warning' | 'error' | 'info'; text: string }> {
  const out: Array<{ severity: 'warning' | 'error' | 'info'; text: string }> =
    [];
  for (const w of metrics?.warnings ?? [])
    out.push({ severity: 'warning', text: w });
  for (const p of detail.router?.epp?.problems ?? []) {
    const registry = /not found in registry/.test(p.message ?? '');
    out.push({
      severity: 'error',
      text: registry
        ? `Endpoint picker ${p.pod} crash-loops (${p.reason}): its image lacks the plugins this configuration needs (${p.message}). P/D disaggregation needs an llm-d inference-scheduler image (fusioninfer.epp.pdImage).`
        : `Endpoint picker ${p.pod}: ${p.reason}${p.message ? ` — ${p.message}` : ''}`,
    });
  }
  if (metrics?.epp.state === 'unavailable-auth')
    out.push({
      severity: 'warning',
      text: `The endpoint picker refused the metrics scrape${metrics.epp.message ? ` (${metrics.epp.message})` : ''}. Set fusioninfer.epp.disableMetricsAuth: true, grant the EPP's service account TokenReview/SubjectAccessReview, or use fusioninfer.prometheus.`,
    });
  return out;
}

/** Gateway → HTTPRoute → InferencePool → EPP, the EPP configuration in effect, and routing warnings. */
export function RoutingPanel(props: {
  detail: ServiceDetail;
  children?: ChildrenResponse;
  metrics?: RoutingMetricsResponse;
}) {
  const { detail, children, metrics } = props;
  const router = detail.router;
  if (!router)
    return (
      <Typography variant="body2" color="text.secondary">
        No router role: this service has no Gateway, InferencePool or endpoint
        picker. Clients reach the pods through their own Services.
      </Typography>
    );
  const endpoint = routingEndpoint(detail, children);
  const routeParents = asParents(router.httpRoute?.parents);
  const poolParents = asParents(router.inferencePool?.parents);
  const config = eppConfigOf(detail, children);
  const warnings = routingWarnings(detail, metrics);
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <Box
        sx={{
          display: 'flex',
          gap: 1,
          flexWrap: 'wrap',
          alignItems: 'stretch',
        }}
        aria-label="Routing chain"
        role="list"
      >
        <Box role="listitem" sx={{ display: 'flex', flex: '1 1 180px' }}>
          <Step
            title="Gateway"
            name={endpoint.gateways.join(', ') || undefined}
          >
            {endpoint.hostnames.map(h => (
              <Chip key={h} size="small" variant="outlined" label={h} />
            ))}
          </Step>
        </Box>
        <Arrow />
        <Box role="listitem" sx={{ display: 'flex', flex: '1 1 180px' }}>
          <Step title="HTTPRoute" name={router.httpRoute?.name}>
            {router.httpRoute &&
              conditionChips(routeParents, ['Accepted', 'ResolvedRefs'])}
          </Step>
        </Box>
        <Arrow />
        <Box role="listitem" sx={{ display: 'flex', flex: '1 1 180px' }}>
          <Step title="InferencePool" name={router.inferencePool?.name}>
            {router.inferencePool &&
              conditionChips(poolParents, ['Accepted', 'ResolvedRefs'])}
          </Step>
        </Box>
        <Arrow />
        <Box role="listitem" sx={{ display: 'flex', flex: '1 1 180px' }}>
          <Step title="Endpoint picker" name={router.epp?.image}>
            {router.epp ? (
              <Chip
                size="small"
                color={router.epp.ready ? 'success' : 'error'}
                label={router.epp.ready ? 'ready' : 'not ready'}
              />
            ) : (
              <Chip size="small" variant="outlined" label="not created" />
            )}
            {router.epp?.problems.map(p => (
              <Chip
                key={p.pod}
                size="small"
                color="error"
                label={p.reason ?? 'problem'}
                title={p.message}
              />
            ))}
          </Step>
        </Box>
      </Box>
      {warnings.map((w, i) => (
        <Alert key={i} severity={w.severity}>
          {w.text}
        </Alert>
      ))}
      <Box>
        <Typography variant="subtitle2" component="h4">
          Endpoint picker configuration — strategy{' '}
          <code>{router.strategy}</code>
        </Typography>
        {!children && (
          <Typography variant="body2" color="text.secondary">
            Loading the rendered configuration…
          </Typography>
        )}
        {children && !config && (
          <Typography variant="body2" color="text.secondary">
            No endpoint picker configuration rendered.
          </Typography>
        )}
        {config && 'error' in config && (
          <Alert severity="error">
            The configuration does not parse: {config.error}
          </Alert>
        )}
        {config && 'profiles' in config && (
          <Table size="small" aria-label="Endpoint picker plugins">
            <TableHead>
              <TableRow>
                <TableCell>Profile</TableCell>
                <TableCell>Plugin</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Weight</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {config.profiles.flatMap(p =>
                p.plugins.map(x => (
                  <TableRow key={`${p.name}/${x.pluginRef}`}>
                    <TableCell>{p.name}</TableCell>
                    <TableCell>
                      <code>{x.pluginRef}</code>
                    </TableCell>
                    <TableCell>
                      {config.plugins.find(q => q.name === x.pluginRef)?.type ??
                        '—'}
                    </TableCell>
                    <TableCell align="right">{x.weight ?? '—'}</TableCell>
                  </TableRow>
                )),
              )}
            </TableBody>
          </Table>
        )}
      </Box>
    </Box>
  );
}
