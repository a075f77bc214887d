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

import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Chip from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import type { ServiceStateKind } from '@fusioninfer/plugin-fusioninfer-common';

/** Backstage error JSON fields of a ResponseError (or any Error). */
export function errorInfo(error: Error): {
  status?: number;
  name: string;
  message: string;
} {
  const e = error as Error & {
    statusCode?: number;
    body?: { error?: { name?: string; message?: string } };
  };
  return {
    status: e.statusCode,
    name: e.body?.error?.name ?? e.name,
    message: e.body?.error?.message ?? e.message,
  };
}

export function isForbidden(error: Error): boolean {
  const i = errorInfo(error);
  return i.status === 403 || i.name === 'NotAllowedError';
}

/**
 * An error as a person can act on it: permission denied (403) says which permission and who grants it, a cluster that
 * does not answer (503) says so, a missing service (404) says it is gone; anything else shows the backend's message.
 */
export function ErrorView(props: {
  error: Error;
  /** What was being done, e.g. "read the services of this entity". */
  action: string;
}) {
  const { error, action } = props;
  const i = errorInfo(error);
  if (isForbidden(error))
    return (
      <Alert severity="warning" role="alert">
        <AlertTitle>Permission denied</AlertTitle>
        You are not allowed to {action} ({i.message}). The permission policy of
        this Backstage decides; ask the owners of this entity or your platform
        team.
      </Alert>
    );
  if (i.status === 503)
    return (
      <Alert severity="error" role="alert">
        <AlertTitle>Cluster unavailable</AlertTitle>
        Could not {action}: {i.message}. The cluster did not answer the
        FusionInfer backend; the page keeps trying.
      </Alert>
    );
  if (i.status === 404)
    return (
      <Alert severity="info" role="alert">
        <AlertTitle>Not found</AlertTitle>
        {i.message}
      </Alert>
    );
  return (
    <Alert severity="error" role="alert">
      <AlertTitle>Could not {action}</AlertTitle>
      {i.status ? `${i.status} ${i.name}: ` : ''}
      {i.message}
    </Alert>
  );
}

const STATE_COLOR: Record<
  ServiceStateKind,
  'success' | 'info' | 'warning' | 'error' | 'default'
> = {
  Ready: 'success',
  Progressing: 'info',
  Degraded: 'warning',
  Failed: 'error',
  Stale: 'default',
  Unknown: 'default',
};

export function StateChip(props: {
  kind: ServiceStateKind;
  message?: string;
  size?: 'small' | 'medium';
}) {
  const chip = (
    <Chip
      label={props.kind}
      color={STATE_COLOR[props.kind]}
      size={props.size ?? 'small'}
      variant={props.kind === 'Stale' ? 'outlined' : 'filled'}
      aria-label={`State: ${props.kind}${props.message ? `. ${props.message}` : ''}`}
      tabIndex={props.message ? 0 : undefined}
    />
  );
  return props.message ? <Tooltip title={props.message}>{chip}</Tooltip> : chip;
}

const fmt = (n: number, digits: number) =>
  n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });

export const format = {
  percent: (v?: number) =>
    v === undefined || !Number.isFinite(v) ? '—' : `${fmt(v * 100, 1)} %`,
  seconds: (v?: number) => {
    if (v === undefined || !Number.isFinite(v)) return '—';
    if (v < 1) return `${fmt(v * 1000, v < 0.01 ? 1 : 0)} ms`;
    return `${fmt(v, 2)} s`;
  },
  rate: (v?: number, unit = '/s') =>
    v === undefined || !Number.isFinite(v) ? '—' : `${fmt(v, 2)}${unit}`,
  count: (v?: number) =>
    v === undefined || !Number.isFinite(v) ? '—' : fmt(v, 2),
};
