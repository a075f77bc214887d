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
 * The backend policy's verdict on a change (team project, GPU quota, pod security, DRA claims), as the approvals page
 * and the preview field show it. The verdict is the one the writer enforces: `allowed: false` means nothing is
 * applied, not even after approval.
 */

import { ReactNode } from 'react';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import type { ApprovalPolicyVerdict } from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../lib/plural';

type Finding = ApprovalPolicyVerdict['denials'][number];

/** One finding as a line: `field: message`. */
export function findingText(f: Finding): string {
  return `${f.field}: ${f.message}`;
}

/** The project's GPU use before → after against its quota, e.g. "llm-apps: 42 → 58 of 64 GPUs in dev". */
export function quotaText(policy: ApprovalPolicyVerdict): string | undefined {
  const q = policy.quota;
  if (!q) return undefined;
  return `${policy.project ?? 'the project'}: ${q.before} → ${q.after} of ${plural(q.limit, 'GPU')} in ${q.cluster}`;
}

/** The pod-security verdict in words: "baseline-gpu, no violations" or "baseline-gpu, 2 violations". */
export function podSecurityText(policy: ApprovalPolicyVerdict): string {
  const n = policy.podSecurity.violations.length;
  return `${policy.podSecurity.level}, ${n === 0 ? 'no violations' : plural(n, 'violation')}`;
}

/** A list of findings (`field: message`), the field in code font. */
export function FindingList(props: { findings: Finding[]; label?: string }) {
  return (
    <Box component="ul" sx={{ m: 0, pl: 2 }} aria-label={props.label}>
      {props.findings.map((f, i) => (
        <li key={`${f.field}|${f.rule}|${i}`}>
          <code>{f.field}</code>: {f.message}
        </li>
      ))}
    </Box>
  );
}

/** The quota line with a small bar of the project's use after the change (red over the quota). */
export function QuotaUse(props: { policy: ApprovalPolicyVerdict }) {
  const { policy } = props;
  const q = policy.quota;
  const text = quotaText(policy);
  if (!q || !text) return null;
  const share = q.limit > 0 ? (q.after / q.limit) * 100 : 100;
  let color: 'primary' | 'warning' | 'error' = 'primary';
  if (q.after > q.limit) color = 'error';
  else if (share >= 90) color = 'warning';
  return (
    <Box
      component="span"
      sx={{ display: 'inline-flex', alignItems: 'center', gap: 1 }}
    >
      <span>{text}</span>
      <LinearProgress
        variant="determinate"
        value={Math.min(100, share)}
        color={color}
        aria-label={`GPU quota of ${policy.project ?? 'the project'} in ${q.cluster}`}
        aria-valuetext={`${q.after} of ${plural(q.limit, 'GPU')}`}
        sx={{ width: 96, height: 6, borderRadius: 3 }}
      />
    </Box>
  );
}

/** One short line for forms: "Project llm-apps: 42 → 58 of 64 GPUs in dev ▬ · pod security baseline-gpu, no violations". */
export function PolicyLine(props: { policy: ApprovalPolicyVerdict }) {
  const { policy } = props;
  const parts: ReactNode[] = [];
  if (policy.quota)
    parts.push(
      <span key="quota">
        Project <QuotaUse policy={policy} />
      </span>,
    );
  else if (policy.project)
    parts.push(<span key="project">Project {policy.project}</span>);
  parts.push(<span key="pss">pod security {podSecurityText(policy)}</span>);
  if (policy.resourceClaims)
    parts.push(
      <span key="dra">
        {plural(policy.resourceClaims, 'DRA resource claim')}
      </span>,
    );
  return (
    <Typography
      variant="body2"
      component="div"
      role="status"
      aria-label="Team project and policy"
      sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', alignItems: 'center' }}
    >
      {parts.flatMap((p, i) =>
        i === 0
          ? [p]
          : [
              <span key={`sep${i}`} aria-hidden>
                ·
              </span>,
              p,
            ],
      )}
    </Typography>
  );
}
