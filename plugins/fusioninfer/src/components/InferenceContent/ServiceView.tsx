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

import { lazy, ReactNode, Suspense, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  serviceState,
  type ChildrenResponse,
  type RenderSummary,
  type ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { formatAge, serviceSince } from '../../lib/state';
import { ErrorView, StateChip } from '../common';
import { DriftPanel } from './DriftPanel';
import { EventsPanel } from './EventsPanel';
import { GangPanel } from './GangPanel';
import { RoutingPanel, routingEndpoint } from './RoutingPanel';
import { ActionResult, ServiceActions } from './ServiceActions';
import { ExpandedState, StatusTree } from './StatusTree';
import { plural } from '../../lib/plural';
import { PreflightReportView } from '../Preflight/PreflightReportView';
import { ServiceCostRow } from '../Showback/ServiceCostRow';
import { AutoscalingPanel } from './AutoscalingPanel';
import { RolloutPanel } from './RolloutPanel';
import { CanaryPanel } from './CanaryPanel';

// The charts library is most of the tab's weight: load it when the Metrics tab opens.
const MetricsPanel = lazy(() =>
  import('./MetricsPanel').then(m => ({ default: m.MetricsPanel })),
);

/** Refresh period of the routing metrics (the backend collects viewed services every 15 s). */
export const METRICS_REFRESH_MS = 15_000;
export const DIFF_REFRESH_MS = 30_000;
/** Refresh period of the pre-flight while its tab is open (free GPUs change as other services come and go). */
export const PREFLIGHT_REFRESH_MS = 30_000;
/** Refresh period of the autoscaling section while open (the autoscaler decides every 15 s by default). */
export const AUTOSCALING_REFRESH_MS = 5_000;

type Pending = ActionResult & { at: number };

/** Whether the service has reached what an action asked for. */
export function converged(
  detail: ServiceDetail,
  p: ActionResult,
): { done: boolean; progress: string } {
  // The one staleness rule (common's serviceState): the status must describe the current spec.
  const { stale, observedGeneration } = serviceState(detail);
  const current = !stale;
  if (p.kind === 'scale') {
    const c = detail.status.components?.[p.role];
    const ready = c?.readyReplicas ?? 0;
    const desired = c?.desiredReplicas;
    const genOk =
      p.generation === undefined ||
      observedGeneration === undefined ||
      observedGeneration >= p.generation;
    return {
      done: genOk && current && desired === p.replicas && ready === p.replicas,
      progress: `${ready}/${plural(p.replicas, 'replica')} of ${p.role} ready${genOk && current ? '' : ' · waiting for the controller to observe the new spec'}`,
    };
  }
  if (p.kind === 'strategy') {
    const ok =
      detail.router?.strategy === p.strategy &&
      current &&
      !!detail.router?.epp?.ready;
    return {
      done: ok,
      progress: `endpoint picker ${detail.router?.epp?.ready ? 'ready' : 'restarting'} with strategy ${detail.router?.strategy}`,
    };
  }
  return { done: false, progress: '' };
}

function PanelState<T>(props: {
  state: { value?: T; error?: Error; loading: boolean };
  action: string;
  children: (value: T) => ReactNode;
}) {
  const { state } = props;
  return (
    <>
      {state.error && <ErrorView error={state.error} action={props.action} />}
      {state.loading && !state.value && !state.error && (
        <LinearProgress aria-label={`Loading: ${props.action}`} />
      )}
      {state.value !== undefined && props.children(state.value)}
    </>
  );
}

function MetricsTab(props: { detail: ServiceDetail }) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name } = props.detail;
  const metrics = usePolling(
    () => api.getMetrics({ cluster, namespace, name }),
    [cluster, namespace, name],
    METRICS_REFRESH_MS,
  );
  return (
    <PanelState state={metrics} action="read the routing metrics">
      {m => (
        <Suspense fallback={<LinearProgress aria-label="Loading charts" />}>
          <MetricsPanel metrics={m} />
        </Suspense>
      )}
    </PanelState>
  );
}

function RoutingTab(props: {
  detail: ServiceDetail;
  children?: ChildrenResponse;
}) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name } = props.detail;
  const metrics = usePolling(
    () => api.getMetrics({ cluster, namespace, name }),
    [cluster, namespace, name],
    METRICS_REFRESH_MS,
  );
  return (
    <RoutingPanel
      detail={props.detail}
      children={props.children}
      metrics={metrics.value}
    />
  );
}

function DriftTab(props: {
  detail: ServiceDetail;
  children?: ChildrenResponse;
}) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name, generation } = props.detail;
  const diff = usePolling(
    () => api.getDiff({ cluster, namespace, name }),
    [cluster, namespace, name, generation],
    DIFF_REFRESH_MS,
  );
  return (
    <PanelState state={diff} action="compare the rendered and live children">
      {d => <DriftPanel diff={d} children={props.children} />}
    </PanelState>
  );
}

function PreflightTab(props: { detail: ServiceDetail }) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name, generation } = props.detail;
  const report = usePolling(
    () => api.getPreflight({ cluster, namespace, name }),
    [cluster, namespace, name, generation],
    PREFLIGHT_REFRESH_MS,
  );
  return (
    <PanelState state={report} action="run the pre-flight of this service">
      {r => (
        <PreflightReportView
          report={r}
          headingComponent="h3"
          caption={`This service's spec on cluster ${cluster} as it is now (its own pods' GPUs count as free): would vLLM start, and would the pods fit the nodes if they were scheduled again?`}
        />
      )}
    </PanelState>
  );
}

function AutoscalingTab(props: { detail: ServiceDetail }) {
  const api = useApi(fusioninferApiRef);
  const { cluster, namespace, name, generation } = props.detail;
  const autoscaling = usePolling(
    () => api.getAutoscaling({ cluster, namespace, name }),
    [cluster, namespace, name, generation],
    AUTOSCALING_REFRESH_MS,
  );
  return (
    <PanelState
      state={autoscaling}
      action="read the autoscaling of this service"
    >
      {a => <AutoscalingPanel autoscaling={a} />}
    </PanelState>
  );
}

const TABS = [
  ['status', 'Status'],
  ['preflight', 'Pre-flight'],
  ['autoscaling', 'Autoscaling'],
  ['routing', 'Routing'],
  ['metrics', 'Metrics'],
  ['drift', 'Drift & YAML'],
  ['events', 'Events'],
] as const;
type TabId = (typeof TABS)[number][0];

/**
 * One service of the entity: header with state and actions, then status, pre-flight, autoscaling, routing, metrics,
 * drift and events.
 */
export function ServiceView(props: {
  detail: ServiceDetail;
  entityRef: string;
  /** Asks the parent to refresh quickly (true) while an action converges. */
  onConverging: (active: boolean) => void;
}) {
  const { detail, entityRef, onConverging } = props;
  const api = useApi(fusioninferApiRef);
  const [tab, setTab] = useState<TabId>('status');
  const [expanded, setExpanded] = useState<ExpandedState>({});
  const [pending, setPending] = useState<Pending>();
  const [done, setDone] = useState<string>();
  const { cluster, namespace, name, generation } = detail;
  const childrenState = usePolling(
    () => api.getChildren({ cluster, namespace, name }),
    [cluster, namespace, name, generation],
  );
  const state = serviceState(detail);
  const endpoint = routingEndpoint(detail, childrenState.value);
  const since = serviceSince(detail);
  const progress =
    pending && pending.kind !== 'approval-required' && pending.kind !== 'delete'
      ? converged(detail, pending)
      : undefined;
  const converging =
    !!pending &&
    pending.kind !== 'approval-required' &&
    (pending.kind === 'delete' || !progress?.done);
  useEffect(() => {
    onConverging(converging);
  }, [converging, onConverging]);
  useEffect(() => () => onConverging(false), [onConverging]);
  useEffect(() => {
    if (pending && progress?.done) {
      if (pending.kind === 'scale')
        setDone(
          `Scaled ${pending.role} to ${plural(pending.replicas, 'replica')}: all ready.`,
        );
      if (pending.kind === 'strategy')
        setDone(
          `Routing strategy is now ${pending.strategy}; the endpoint picker is ready.`,
        );
      setPending(undefined);
    }
  }, [pending, progress?.done]);
  const summary = childrenState.value?.summary as RenderSummary | undefined;
  const id = `fi-${cluster}-${namespace}-${name}`;
  return (
    <Card
      variant="outlined"
      component="article"
      aria-labelledby={`${id}-title`}
      sx={{ mb: 2 }}
    >
      <CardContent>
        <Box
          sx={{
            display: 'flex',
            alignItems: 'flex-start',
            gap: 2,
            flexWrap: 'wrap',
          }}
        >
          <Box sx={{ flex: 1, minWidth: 280 }}>
            <Box
              sx={{
                display: 'flex',
                gap: 1,
                alignItems: 'center',
                flexWrap: 'wrap',
              }}
            >
              <Typography variant="h6" component="h2" id={`${id}-title`}>
                {cluster} / {namespace} / {name}
              </Typography>
              <StateChip kind={state.kind} message={state.message} />
            </Box>
            {state.kind !== 'Ready' && (
              <Typography
                variant="body2"
                color={state.kind === 'Failed' ? 'error' : 'text.secondary'}
              >
                {state.message}
              </Typography>
            )}
            <Box
              component="dl"
              sx={{
                display: 'grid',
                gridTemplateColumns: 'max-content 1fr',
                columnGap: 2,
                rowGap: 0.25,
                m: 0,
                mt: 1,
                '& dt': { color: 'text.secondary' },
                '& dd': { m: 0 },
              }}
            >
              <Typography component="dt" variant="body2">
                Replicas
              </Typography>
              <Typography component="dd" variant="body2">
                {detail.status.readyReplicas ?? 0} /{' '}
                {detail.status.replicas ?? 0} ready
                {summary
                  ? ` · ${plural(summary.totals.gpus, 'GPU')} · ${plural(summary.totals.pods, 'pod')}`
                  : ''}
              </Typography>
              <Typography component="dt" variant="body2">
                Strategy
              </Typography>
              <Typography component="dd" variant="body2">
                {detail.router?.strategy ?? 'none (no router)'}
              </Typography>
              <Typography component="dt" variant="body2">
                Endpoint
              </Typography>
              <Typography component="dd" variant="body2">
                {detail.router
                  ? `${endpoint.gateways.length ? `gateway ${endpoint.gateways.join(', ')}` : 'no Gateway attached to the HTTPRoute yet'}${endpoint.hostnames.length ? ` · ${endpoint.hostnames.join(', ')}` : ' · any hostname'}`
                  : 'none: this service has no router, so no Gateway, HTTPRoute or endpoint picker by design; clients reach the pods through their own Services'}
              </Typography>
              <Typography component="dt" variant="body2">
                Age
              </Typography>
              <Typography component="dd" variant="body2" title={since}>
                {formatAge(since)}
                {detail.generation !== undefined
                  ? ` · generation ${detail.generation}`
                  : ''}
              </Typography>
              <ServiceCostRow detail={detail} />
            </Box>
          </Box>
          <ServiceActions
            detail={detail}
            entityRef={entityRef}
            onDone={r => {
              setDone(undefined);
              setPending({ ...r, at: Date.now() });
            }}
          />
        </Box>
        {pending?.kind === 'approval-required' && (
          <Alert
            severity="info"
            sx={{ mt: 1 }}
            onClose={() => setPending(undefined)}
          >
            Policy holds this change for approval (
            {pending.response.reasons.join('; ')}). Nothing changed yet:{' '}
            <Link to={`/fusioninfer/approvals/${pending.response.approval.id}`}>
              request {pending.response.approval.id.slice(0, 8)}
            </Link>{' '}
            waits for an approver.
          </Alert>
        )}
        {pending && pending.kind === 'delete' && (
          <Alert severity="info" sx={{ mt: 1 }} role="status">
            Deleting {name}: the cluster removes the children, then the service
            disappears from this page.
          </Alert>
        )}
        {pending && progress && !progress.done && (
          <Box sx={{ mt: 1 }} role="status" aria-live="polite">
            <Typography variant="body2">
              {pending.kind === 'scale'
                ? `Scaling ${pending.role} to ${pending.replicas}: `
                : 'Changing the strategy: '}
              {progress.progress}
            </Typography>
            <LinearProgress />
          </Box>
        )}
        {done && (
          <Alert
            severity="success"
            sx={{ mt: 1 }}
            onClose={() => setDone(undefined)}
          >
            {done}
          </Alert>
        )}
        <Tabs
          value={tab}
          onChange={(_, v) => setTab(v)}
          sx={{ mt: 1, borderBottom: 1, borderColor: 'divider' }}
          variant="scrollable"
          aria-label={`Sections of ${name}`}
        >
          {TABS.map(([value, label]) => (
            <Tab
              key={value}
              value={value}
              label={
                value === 'events' && detail.events.length ? (
                  <Box sx={{ display: 'flex', gap: 0.5, alignItems: 'center' }}>
                    {label}
                    <Chip size="small" label={detail.events.length} />
                  </Box>
                ) : (
                  label
                )
              }
              id={`${id}-tab-${value}`}
              aria-controls={`${id}-panel-${value}`}
            />
          ))}
        </Tabs>
        <Box
          role="tabpanel"
          id={`${id}-panel-${tab}`}
          aria-labelledby={`${id}-tab-${tab}`}
          sx={{ pt: 2 }}
        >
          {tab === 'status' && (
            <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
              <CanaryPanel detail={detail} entityRef={entityRef} />
              <RolloutPanel detail={detail} entityRef={entityRef} />
              <StatusTree
                detail={detail}
                expanded={expanded}
                onToggle={(k, open) => setExpanded(e => ({ ...e, [k]: open }))}
              />
              <Box component="section" aria-label="Gang scheduling">
                <Typography variant="subtitle1" component="h3">
                  Gang scheduling
                </Typography>
                <GangPanel detail={detail} summary={summary} />
              </Box>
            </Box>
          )}
          {tab === 'preflight' && <PreflightTab detail={detail} />}
          {tab === 'autoscaling' && <AutoscalingTab detail={detail} />}
          {tab === 'routing' && (
            <RoutingTab detail={detail} children={childrenState.value} />
          )}
          {tab === 'metrics' && <MetricsTab detail={detail} />}
          {tab === 'drift' && (
            <DriftTab detail={detail} children={childrenState.value} />
          )}
          {tab === 'events' && <EventsPanel events={detail.events} />}
        </Box>
      </CardContent>
    </Card>
  );
}
