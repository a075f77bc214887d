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

/*
 * The pre-flight answer (common's preflight(), served by the backend) as the portal shows it wherever a deployment is
 * decided: the preview field of the templates, the approval page and the Inference tab. One component, so the three
 * say the same thing — and the same numbers, in the same words, as `fusioninfer preflight` prints.
 */

import { Fragment, useId } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import type {
  GangPreflight,
  PreflightFinding,
  PreflightMemory,
  PreflightReport,
  PreflightVerdict,
  RolePreflight,
} from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../../lib/plural';

/** Numbers as the CLI prints them (thousands separated). */
const n = (x: number) => x.toLocaleString('en-US');

/** The verdict in words, as the CLI prints it per role. */
export const VERDICT_WORDS: Record<PreflightVerdict, string> = {
  starts: 'starts',
  'does-not-start': 'does not start',
  unknown: 'unknown',
};

const VERDICT_LOOK: Record<
  PreflightVerdict,
  {
    severity: 'success' | 'error' | 'info';
    chip: 'success' | 'error' | 'default';
    title: string;
  }
> = {
  starts: { severity: 'success', chip: 'success', title: 'vLLM starts' },
  'does-not-start': {
    severity: 'error',
    chip: 'error',
    title: 'vLLM will not start',
  },
  unknown: {
    severity: 'info',
    chip: 'default',
    title: 'Unknown whether vLLM starts',
  },
};

/** The role's engine arguments, as the CLI prints them: "vLLM Qwen/Qwen3-8B, TP 2 × PP 1, gpu-memory-utilization 0.9". */
export function engineText(e: RolePreflight['engine']): string {
  if (e.engine !== 'vllm') return 'not vLLM';
  return `vLLM ${e.model ?? '(no model)'}, TP ${e.tensorParallelSize} × PP ${e.pipelineParallelSize}${e.maxModelLen ? `, max-model-len ${n(e.maxModelLen)}` : ''}, gpu-memory-utilization ${e.gpuMemoryUtilization}${e.kvCacheDtype !== 'auto' ? `, kv-cache-dtype ${e.kvCacheDtype}` : ''}`;
}

/** "inference (worker, 2 GPUs per replica)", the CLI's role line. */
export function roleTitle(r: RolePreflight): string {
  return `${r.role} (${r.componentType ?? 'role'}, ${plural(r.gpusPerReplica, 'GPU')} per replica)`;
}

/** The terms of the GPU budget, in the CLI's order (CUDA graphs only when they take memory, as the CLI). */
function budgetTerms(m: PreflightMemory) {
  return [
    { key: 'weights', label: 'weights', gib: m.weightsGiB },
    { key: 'activations', label: 'activations', gib: m.activationGiB },
    { key: 'nonTorch', label: 'non-torch', gib: m.nonTorchGiB },
    ...(m.cudaGraphGiB
      ? [{ key: 'cudaGraphs', label: 'CUDA graphs', gib: m.cudaGraphGiB }]
      : []),
    { key: 'kvCache', label: 'KV cache', gib: m.kvCacheGiB },
  ] as const;
}

/** The GPU budget in one line, as the CLI prints it (after "GPU "). */
export function budgetText(m: PreflightMemory): string {
  return `${budgetHead(m)}${budgetTerms(m)
    .map(t => `${t.label} ${t.gib}`)
    .join(' + ')}`;
}

function budgetHead(m: PreflightMemory): string {
  return `${m.gpu.product ? `${m.gpu.product} ` : ''}${m.gpu.totalGiB} GiB: vLLM may use ${m.requestedGiB} GiB = `;
}

/** KV cache tokens and requests of max-model-len at once, as the CLI prints them. */
export function kvText(m: PreflightMemory): string {
  return `${n(m.kvCacheTokens)} tokens (${n(m.kvBytesPerToken)} bytes per token per GPU); ${m.maxConcurrency} requests of ${n(m.maxModelLen)} tokens at once`;
}

/** The placement sentence, first letter up: "Fits: 2 pods with 2 GPUs, the gang of 2 together (…)". */
export function placementText(g: GangPreflight): string {
  return g.message.charAt(0).toUpperCase() + g.message.slice(1);
}

/** The colour of each budget term (the bar and the swatches of the line say the same). */
const TERM_COLOR: Record<string, string> = {
  weights: 'primary.main',
  activations: 'warning.main',
  nonTorch: 'grey.500',
  cudaGraphs: 'secondary.main',
  kvCache: 'success.main',
};

const FINDING_COLOR: Record<PreflightFinding['severity'], string> = {
  error: 'error.main',
  warning: 'warning.main',
  info: 'text.secondary',
};

const Swatch = (props: { color: string }) => (
  <Box
    component="span"
    aria-hidden
    sx={{
      display: 'inline-block',
      width: 10,
      height: 10,
      mr: 0.5,
      borderRadius: 0.5,
      bgcolor: props.color,
      verticalAlign: 'baseline',
    }}
  />
);

/**
 * One GPU's memory as a bar: the budget's terms, then what gpu-memory-utilization keeps out. The line beside it
 * carries the numbers (the bar is decoration for sighted readers, hidden from screen readers).
 */
function BudgetBar(props: { memory: PreflightMemory }) {
  const m = props.memory;
  const terms = budgetTerms(m);
  const used = terms.reduce((s, t) => s + t.gib, 0);
  // Weights larger than the GPU overflow it: the bar then spans what was asked for, not the GPU.
  const scale = Math.max(m.gpu.totalGiB, used) || 1;
  return (
    <Box
      aria-hidden
      sx={{
        display: 'flex',
        height: 8,
        borderRadius: 1,
        overflow: 'hidden',
        bgcolor: 'action.hover',
        mt: 0.5,
        maxWidth: 480,
      }}
    >
      {terms.map(t => (
        <Box
          key={t.key}
          title={`${t.label} ${t.gib} GiB`}
          sx={{
            width: `${(t.gib / scale) * 100}%`,
            bgcolor: TERM_COLOR[t.key],
          }}
        />
      ))}
    </Box>
  );
}

function RoleView(props: {
  role: RolePreflight;
  headingComponent: 'h3' | 'h4' | 'h5';
}) {
  const { role: r, headingComponent } = props;
  const look = VERDICT_LOOK[r.verdict];
  const m = r.memory;
  const id = useId();
  return (
    <Box
      component="section"
      aria-labelledby={id}
      sx={{
        border: 1,
        borderColor: 'divider',
        borderRadius: 1,
        p: 1.5,
        display: 'flex',
        flexDirection: 'column',
        gap: 1,
      }}
    >
      <Typography
        variant="subtitle2"
        component={headingComponent}
        id={id}
        sx={{ fontWeight: 'bold' }}
      >
        {roleTitle(r)}
      </Typography>
      <Alert
        severity={look.severity}
        role="status"
        aria-label={`${r.role}: ${look.title}`}
      >
        <AlertTitle sx={{ mb: r.error || r.fix || m ? 0.5 : 0 }}>
          {look.title}
          {r.error ? ':' : ''}
        </AlertTitle>
        {r.error && (
          <Box
            component="pre"
            aria-label="The error vLLM would print"
            sx={{
              fontFamily: 'monospace',
              fontSize: '0.8125rem',
              whiteSpace: 'pre-wrap',
              wordBreak: 'break-word',
              m: 0,
              mb: r.fix ? 1 : 0,
            }}
          >
            {r.error}
          </Box>
        )}
        {r.fix && (
          <Typography variant="body2">
            <strong>Fix:</strong> {r.fix}
          </Typography>
        )}
        {r.verdict === 'starts' && m && (
          <Typography variant="body2">
            {n(m.kvCacheTokens)} tokens of KV cache per replica:{' '}
            {m.maxConcurrency} requests of {n(m.maxModelLen)} tokens at once.
          </Typography>
        )}
      </Alert>
      <Box
        component="dl"
        sx={{
          display: 'grid',
          gridTemplateColumns: 'max-content 1fr',
          columnGap: 2,
          rowGap: 0.5,
          m: 0,
          '& dt': { color: 'text.secondary' },
          '& dd': { m: 0, minWidth: 0 },
        }}
      >
        <Typography component="dt" variant="body2">
          Engine
        </Typography>
        <Typography component="dd" variant="body2">
          {engineText(r.engine)}
          {r.model?.source && (
            <>
              {' '}
              · architecture from{' '}
              <Link to={r.model.source}>{r.model.id} config.json</Link>
            </>
          )}
        </Typography>
        {m && (
          <>
            <Typography component="dt" variant="body2">
              GPU memory
            </Typography>
            <Typography component="dd" variant="body2">
              {budgetHead(m)}
              {budgetTerms(m).map((t, i) => (
                <Fragment key={t.key}>
                  {i > 0 ? ' + ' : ''}
                  <Box component="span" sx={{ whiteSpace: 'nowrap' }}>
                    <Swatch color={TERM_COLOR[t.key]} />
                    {t.label} {t.gib}
                  </Box>
                </Fragment>
              ))}
              <BudgetBar memory={m} />
            </Typography>
            <Typography component="dt" variant="body2">
              KV cache
            </Typography>
            <Typography component="dd" variant="body2">
              {kvText(m)}
            </Typography>
          </>
        )}
      </Box>
      {r.findings.length > 0 && (
        <Box
          component="ul"
          sx={{ m: 0, pl: 2 }}
          aria-label={`Findings of ${r.role}`}
        >
          {r.findings.map((f, i) => (
            <li key={i}>
              <Typography variant="body2" component="span">
                <Box
                  component="span"
                  sx={{
                    fontWeight: 'bold',
                    color: FINDING_COLOR[f.severity],
                  }}
                >
                  {f.severity}
                </Box>
                : {f.message}
              </Typography>
            </li>
          ))}
        </Box>
      )}
    </Box>
  );
}

/**
 * A pre-flight report: per role whether vLLM starts (the error it would print and a fix when not), the GPU budget,
 * KV cache tokens and requests of max-model-len at once, the findings; then whether the pods — the gang together —
 * fit the cluster's free GPUs now.
 */
export function PreflightReportView(props: {
  report: PreflightReport;
  /** The element of the section's title ("Pre-flight"); the roles' titles are one level below. */
  headingComponent?: 'h2' | 'h3' | 'h4';
  /** The title's look, to match the page's other section titles. */
  headingVariant?: 'subtitle1' | 'subtitle2';
  /** What the check was run against, under the title (e.g. "On cluster dev as it is now"). */
  caption?: string;
}) {
  const { report, caption } = props;
  const heading = props.headingComponent ?? 'h3';
  const sub = ({ h2: 'h3', h3: 'h4', h4: 'h5' } as const)[heading];
  const look = VERDICT_LOOK[report.verdict];
  const gang = report.gang;
  const id = useId();
  let placementSeverity: 'success' | 'warning' | 'info' = 'info';
  if (gang.fits === true) placementSeverity = 'success';
  else if (gang.fits === false) placementSeverity = 'warning';
  return (
    <Box
      component="section"
      aria-labelledby={id}
      sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}
    >
      <Box
        sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}
      >
        <Typography
          variant={props.headingVariant ?? 'subtitle1'}
          component={heading}
          id={id}
        >
          Pre-flight
        </Typography>
        <Chip
          size="small"
          color={look.chip}
          label={VERDICT_WORDS[report.verdict]}
          aria-label={`Pre-flight verdict: ${VERDICT_WORDS[report.verdict]}`}
        />
      </Box>
      {caption && (
        <Typography variant="body2" color="text.secondary">
          {caption}
        </Typography>
      )}
      {report.roles.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No model-serving role to check (a router only).
        </Typography>
      )}
      {report.roles.map(r => (
        <RoleView key={r.role} role={r} headingComponent={sub} />
      ))}
      <Typography
        variant="subtitle2"
        component={sub}
        sx={{ fontWeight: 'bold' }}
      >
        Placement{gang.minMember !== undefined ? ' (gang)' : ''}
      </Typography>
      <Alert severity={placementSeverity} role="status" aria-label="Placement">
        {placementText(gang)}
        {gang.blocking && !gang.message.includes(gang.blocking) && (
          <Typography variant="body2">Blocked by: {gang.blocking}</Typography>
        )}
      </Alert>
      <Typography variant="caption" color="text.secondary">
        An estimate from the model&apos;s architecture and the GPUs of the nodes
        the pods may land on, computed as vLLM sizes its memory; models it does
        not know, and GPUs the nodes do not label, are reported as unknown.
      </Typography>
    </Box>
  );
}
