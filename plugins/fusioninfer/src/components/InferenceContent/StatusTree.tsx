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

import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Grid from '@mui/material/Grid';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { RiArrowDownSLine, RiArrowRightSLine } from '@remixicon/react';
import {
  childNames,
  type PodView,
  type ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import { plural } from '../../lib/plural';

type Role = ServiceDetail['roles'][number];
type Replica = Role['replicas'][number];

/** Expanded/collapsed choices the user made, by key; kept by the parent so background refreshes keep them. */
export type ExpandedState = Record<string, boolean>;

/** Services with more pods than this start with roles and replicas collapsed. */
export const COLLAPSE_ABOVE_PODS = 16;

const squareColor = (bad: boolean, ok: boolean) => {
  if (bad) return 'error.main';
  return ok ? 'success.main' : 'grey.400';
};

const podsOf = (r: Role) => r.replicas.flatMap(x => x.pods);

function Toggle(props: {
  open: boolean;
  label: string;
  onClick: () => void;
  controls: string;
}) {
  return (
    <IconButton
      size="small"
      onClick={props.onClick}
      aria-expanded={props.open}
      aria-controls={props.controls}
      aria-label={`${props.open ? 'Collapse' : 'Expand'} ${props.label}`}
    >
      {props.open ? (
        <RiArrowDownSLine size={18} />
      ) : (
        <RiArrowRightSLine size={18} />
      )}
    </IconButton>
  );
}

function problemsSummary(pods: PodView[]): string[] {
  const counts = new Map<string, number>();
  for (const p of pods)
    if (p.problem) counts.set(p.problem, (counts.get(p.problem) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`);
}

function PodTable(props: { pods: PodView[]; id: string }) {
  return (
    // Scrolls sideways rather than wrapping headers mid-word when prefill and decode sit side by side.
    <Box sx={{ overflowX: 'auto' }}>
      <Table size="small" id={props.id} aria-label="Pods">
        <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
          <TableRow>
            <TableCell>Pod</TableCell>
            <TableCell>In group</TableCell>
            <TableCell>Phase</TableCell>
            <TableCell>Ready</TableCell>
            <TableCell>Node</TableCell>
            <TableCell align="right">Restarts</TableCell>
            <TableCell>Problem</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.pods.length === 0 && (
            <TableRow>
              <TableCell colSpan={7}>
                <Typography variant="body2" color="text.secondary">
                  No pods yet: the LeaderWorkerSet has not created them.
                </Typography>
              </TableCell>
            </TableRow>
          )}
          {props.pods.map(p => (
            <TableRow key={p.name}>
              <TableCell>
                <code>{p.name}</code>
              </TableCell>
              <TableCell>{p.leader ? 'leader' : 'worker'}</TableCell>
              <TableCell>{p.phase ?? '—'}</TableCell>
              <TableCell>{p.ready ? 'ready' : 'not ready'}</TableCell>
              <TableCell>{p.node ?? 'unscheduled'}</TableCell>
              <TableCell align="right">{p.restarts}</TableCell>
              <TableCell>
                {p.problem ? (
                  <Chip size="small" color="error" label={p.problem} />
                ) : (
                  ''
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function ReplicaGroup(props: {
  role: Role;
  replica: Replica;
  nodesPerReplica: number;
  open: boolean;
  onToggle: () => void;
  idPrefix: string;
}) {
  const { role, replica, nodesPerReplica, open } = props;
  const ready = replica.pods.filter(p => p.ready).length;
  const problems = problemsSummary(replica.pods);
  const groupReady = replica.readyGroups >= 1;
  const id = `${props.idPrefix}-${role.name}-${replica.index}`;
  const label = `${role.name} replica ${replica.index}`;
  return (
    <Box
      role="group"
      aria-label={label}
      sx={{
        border: 1,
        borderColor: groupReady ? 'divider' : 'warning.main',
        borderRadius: 1,
        mb: 1,
      }}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 1 }}>
        <Toggle
          open={open}
          label={label}
          onClick={props.onToggle}
          controls={id}
        />
        <Typography variant="body2" sx={{ fontWeight: 500 }}>
          Replica {replica.index}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          <code>{replica.leaderWorkerSet}</code>
          {nodesPerReplica > 1
            ? ` · one group of ${plural(nodesPerReplica, 'pod')} (1 leader + ${plural(nodesPerReplica - 1, 'worker')})`
            : ''}
        </Typography>
        <Box sx={{ flex: 1 }} />
        {problems.map(p => (
          <Chip key={p} size="small" color="error" label={p} />
        ))}
        <Chip
          size="small"
          color={groupReady ? 'success' : 'default'}
          label={`${ready}/${plural(Math.max(replica.pods.length, nodesPerReplica), 'pod')} ready`}
        />
      </Box>
      {open && <PodTable pods={replica.pods} id={id} />}
    </Box>
  );
}

function RoleCard(props: {
  role: Role;
  nodesPerReplica: number;
  desired: number;
  expanded: ExpandedState;
  onToggle: (key: string, open: boolean) => void;
  collapseByDefault: boolean;
  idPrefix: string;
}) {
  const { role, expanded, onToggle, collapseByDefault } = props;
  const pods = podsOf(role);
  const readyPods = pods.filter(p => p.ready).length;
  const readyReplicas = role.replicas.filter(r => r.readyGroups >= 1).length;
  const roleKey = `role:${role.name}`;
  const open = expanded[roleKey] ?? !collapseByDefault;
  const problems = problemsSummary(pods);
  const id = `${props.idPrefix}-role-${role.name}`;
  return (
    <Paper
      variant="outlined"
      sx={{ p: 1 }}
      component="section"
      aria-label={`Role ${role.name}`}
    >
      <Box
        sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}
      >
        <Toggle
          open={open}
          label={`role ${role.name}`}
          onClick={() => onToggle(roleKey, !open)}
          controls={id}
        />
        <Typography variant="subtitle1" component="h3">
          {role.name}
        </Typography>
        <Chip size="small" variant="outlined" label={role.componentType} />
        <Typography variant="body2" color="text.secondary">
          {readyReplicas}/{plural(props.desired, 'replica')} ready · {readyPods}
          /
          {plural(
            Math.max(pods.length, props.desired * props.nodesPerReplica),
            'pod',
          )}{' '}
          ready
          {props.nodesPerReplica > 1
            ? ` · ${plural(props.nodesPerReplica, 'node')} per replica`
            : ''}
        </Typography>
        <Box sx={{ flex: 1 }} />
        {problems.map(p => (
          <Chip key={p} size="small" color="error" label={p} />
        ))}
      </Box>
      {!open && role.replicas.length > 0 && (
        <Box
          sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, pl: 5, pt: 0.5 }}
          aria-hidden
        >
          {role.replicas.map(r => {
            const ok = r.readyGroups >= 1;
            const bad = r.pods.some(p => p.problem);
            return (
              <Tooltip
                key={r.index}
                title={`replica ${r.index}: ${r.pods.filter(p => p.ready).length}/${plural(r.pods.length, 'pod')} ready`}
              >
                <Box
                  sx={{
                    width: 12,
                    height: 12,
                    borderRadius: 0.5,
                    bgcolor: squareColor(bad, ok),
                  }}
                />
              </Tooltip>
            );
          })}
        </Box>
      )}
      {open && (
        <Box id={id} sx={{ pt: 1 }}>
          {role.replicas.length === 0 && (
            <Typography variant="body2" color="text.secondary">
              Scaled to zero replicas.
            </Typography>
          )}
          {role.replicas.map(r => {
            const key = `replica:${role.name}:${r.index}`;
            const replicaOpen =
              expanded[key] ??
              (!collapseByDefault &&
                (r.pods.some(p => !p.ready) || role.replicas.length <= 4));
            return (
              <ReplicaGroup
                key={r.index}
                role={role}
                replica={r}
                nodesPerReplica={props.nodesPerReplica}
                open={replicaOpen}
                onToggle={() => onToggle(key, !replicaOpen)}
                idPrefix={props.idPrefix}
              />
            );
          })}
        </Box>
      )}
    </Paper>
  );
}

/**
 * Pods of the endpoint picker: the controller runs one (a Deployment of one replica, counted by the render summary).
 * Readiness is read from the live Deployment (`router.epp.ready`: at least one available replica) first, since the
 * controller's `status.components[router]` can lag it; the controller's counts only add detail when they agree.
 */
export function routerPods(detail: ServiceDetail): {
  ready: number;
  total: number;
} {
  const router = detail.router;
  if (!router) return { ready: 0, total: 0 };
  const c = detail.status.components?.[router.role];
  const total = Math.max(1, c?.desiredReplicas ?? 1, c?.totalPods ?? 0);
  const ready = router.epp?.ready
    ? Math.min(total, Math.max(1, c?.readyPods ?? 1))
    : 0;
  return { ready, total };
}

function RouterCard(props: { detail: ServiceDetail }) {
  const router = props.detail.router!;
  const epp = router.epp;
  const { ready, total } = routerPods(props.detail);
  const problems = epp?.problems ?? [];
  const deployment = childNames.epp(props.detail.name);
  return (
    <Paper
      variant="outlined"
      sx={{ p: 1 }}
      component="section"
      aria-label={`Role ${router.role}`}
    >
      <Box
        sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}
      >
        {/* Lines up with the roles' expand buttons; the router has no replicas to expand. */}
        <Box sx={{ width: 28 }} />
        <Typography variant="subtitle1" component="h3">
          {router.role}
        </Typography>
        <Chip size="small" variant="outlined" label="router" />
        <Typography variant="body2" color="text.secondary">
          endpoint picker · {ready}/{plural(total, 'pod')} ready
        </Typography>
        <Box sx={{ flex: 1 }} />
        {[
          ...new Set(
            problems.map(p => p.reason).filter((r): r is string => !!r),
          ),
        ].map(r => (
          <Chip key={r} size="small" color="error" label={r} />
        ))}
        <Chip
          size="small"
          color={ready >= total ? 'success' : 'default'}
          label={ready >= total ? 'ready' : 'not ready'}
        />
      </Box>
      <Typography variant="body2" color="text.secondary" sx={{ pl: 4.5 }}>
        Deployment <code>{deployment}</code>
        {epp
          ? ''
          : ' not created yet: the controller has not deployed the endpoint picker'}
        {epp?.image ? (
          <>
            {' '}
            · image <code>{epp.image}</code>
          </>
        ) : null}{' '}
        · strategy {router.strategy}
      </Typography>
      {problems.length > 0 && (
        <Box sx={{ overflowX: 'auto', pl: 4.5 }}>
          <Table size="small" aria-label="Failing endpoint picker pods">
            <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
              <TableRow>
                <TableCell>Pod</TableCell>
                <TableCell>Problem</TableCell>
                <TableCell>Message</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {problems.map(p => (
                <TableRow key={p.pod}>
                  <TableCell>
                    <code>{p.pod}</code>
                  </TableCell>
                  <TableCell>
                    {p.reason ? (
                      <Chip size="small" color="error" label={p.reason} />
                    ) : (
                      '—'
                    )}
                  </TableCell>
                  <TableCell>{p.message ?? ''}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </Paper>
  );
}

/**
 * The router (its endpoint picker, with its pod and readiness) first, then role → replica (its LeaderWorkerSet, one group of `nodesPerReplica` pods) → pods. Prefill and decode roles sit side
 * by side. Services with more than {@link COLLAPSE_ABOVE_PODS} pods start collapsed, with one square per replica
 * as a summary; what the user opens stays open across refreshes (the state lives in the parent).
 */
export function StatusTree(props: {
  detail: ServiceDetail;
  expanded: ExpandedState;
  onToggle: (key: string, open: boolean) => void;
}) {
  const { detail, expanded, onToggle } = props;
  const idPrefix = `fi-${detail.cluster}-${detail.namespace}-${detail.name}`;
  const total = detail.roles.reduce((s, r) => s + podsOf(r).length, 0);
  const collapseByDefault = total > COLLAPSE_ABOVE_PODS;
  const specOf = (name: string) => detail.spec.roles.find(r => r.name === name);
  const card = (role: Role) => (
    <RoleCard
      role={role}
      nodesPerReplica={specOf(role.name)?.nodesPerReplica ?? 1}
      desired={specOf(role.name)?.replicas ?? role.replicas.length}
      expanded={expanded}
      onToggle={onToggle}
      collapseByDefault={collapseByDefault}
      idPrefix={idPrefix}
    />
  );
  const router = detail.router ? <RouterCard detail={detail} /> : null;
  if (detail.roles.length === 0)
    return (
      <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
        {router}
        <Typography variant="body2" color="text.secondary">
          This service has no workload roles.
        </Typography>
      </Box>
    );
  const prefill = detail.roles.filter(r => r.componentType === 'prefiller');
  const decode = detail.roles.filter(r => r.componentType === 'decoder');
  const others = detail.roles.filter(
    r => r.componentType !== 'prefiller' && r.componentType !== 'decoder',
  );
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {router}
      {(prefill.length > 0 || decode.length > 0) && (
        <Grid container spacing={1}>
          <Grid item xs={12} lg={6}>
            <Typography variant="overline" component="h3">
              Prefill
            </Typography>
            {prefill.map(r => (
              <Box key={r.name} sx={{ mb: 1 }}>
                {card(r)}
              </Box>
            ))}
          </Grid>
          <Grid item xs={12} lg={6}>
            <Typography variant="overline" component="h3">
              Decode
            </Typography>
            {decode.map(r => (
              <Box key={r.name} sx={{ mb: 1 }}>
                {card(r)}
              </Box>
            ))}
          </Grid>
        </Grid>
      )}
      {others.map(r => (
        <Box key={r.name}>{card(r)}</Box>
      ))}
    </Box>
  );
}
