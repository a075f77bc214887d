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

import { useEffect, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Grid from '@mui/material/Grid';
import Tab from '@mui/material/Tab';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tabs from '@mui/material/Tabs';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import LinearProgress from '@mui/material/LinearProgress';
import { Content, EmptyState, Header, Page } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import {
  Navigate,
  Route,
  Routes,
  useNavigate,
  useParams,
} from 'react-router-dom';
import type { ListApprovalsQuery } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { ErrorView } from '../common';
import { ApprovalDetail, ApprovalStatusChip } from './ApprovalDetail';

export const PAGE_SIZE = 25;
const LIST_REFRESH_MS = 15_000;

type View = 'pending' | 'decided' | 'mine';

const EMPTY_TITLE: Record<View, string> = {
  pending: 'Nothing waits for approval',
  decided: 'No decided requests',
  mine: 'You have not requested any deployment',
};

function useMe(): string | undefined {
  const identity = useApi(identityApiRef);
  const [me, setMe] = useState<string>();
  useEffect(() => {
    let live = true;
    identity
      .getBackstageIdentity()
      .then(i => live && setMe(i.userEntityRef))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [identity]);
  return me;
}

function ApprovalsView() {
  const { id } = useParams();
  const navigate = useNavigate();
  const api = useApi(fusioninferApiRef);
  const me = useMe();
  const [view, setView] = useState<View>('pending');
  const [filters, setFilters] = useState({
    cluster: '',
    namespace: '',
    name: '',
  });
  const [offset, setOffset] = useState(0);
  const query: ListApprovalsQuery = {
    ...(view === 'pending' ? { status: 'pending' } : {}),
    ...(view === 'decided'
      ? { status: 'approved,rejected,expired,cancelled' }
      : {}),
    ...(view === 'mine' && me ? { requestedBy: me } : {}),
    ...(filters.cluster ? { cluster: filters.cluster } : {}),
    ...(filters.namespace ? { namespace: filters.namespace } : {}),
    ...(filters.name ? { name: filters.name } : {}),
    limit: String(PAGE_SIZE),
    offset: String(offset),
  };
  const waitingForMe = view === 'mine' && !me;
  const list = usePolling(
    () =>
      waitingForMe ? Promise.resolve(undefined) : api.listApprovals(query),
    [JSON.stringify(query), waitingForMe],
    LIST_REFRESH_MS,
  );
  const setFilter = (k: keyof typeof filters) => (v: string) => {
    setOffset(0);
    setFilters(f => ({ ...f, [k]: v.trim() }));
  };
  const page = list.value;
  return (
    <Grid container spacing={2}>
      <Grid item xs={12} xl={id ? 6 : 12}>
        <Tabs
          value={view}
          onChange={(_, v) => {
            setView(v);
            setOffset(0);
          }}
          aria-label="Approval requests"
        >
          <Tab value="pending" label="Pending" />
          <Tab value="decided" label="Decided" />
          <Tab value="mine" label="Mine" />
        </Tabs>
        <Box
          sx={{ display: 'flex', gap: 1, my: 1, flexWrap: 'wrap' }}
          component="form"
          role="search"
          aria-label="Filter requests"
          onSubmit={e => e.preventDefault()}
        >
          {(['cluster', 'namespace', 'name'] as const).map(k => (
            <TextField
              key={k}
              size="small"
              label={k[0].toUpperCase() + k.slice(1)}
              defaultValue={filters[k]}
              onBlur={e => setFilter(k)(e.target.value)}
              onKeyDown={e => {
                if (e.key === 'Enter')
                  setFilter(k)((e.target as HTMLInputElement).value);
              }}
            />
          ))}
        </Box>
        {list.loading && !page && (
          <LinearProgress aria-label="Loading requests" />
        )}
        {list.error && (
          <ErrorView error={list.error} action="list approval requests" />
        )}
        {page && page.items.length === 0 && (
          <EmptyState
            missing="data"
            title={EMPTY_TITLE[view]}
            description="Deployments that the approval policy (fusioninfer.approvals) holds for a second person appear here."
          />
        )}
        {page && page.items.length > 0 && (
          <>
            {/* Headers stay on one line; beside a request's detail the table scrolls sideways if narrow. */}
            <Box sx={{ overflowX: 'auto' }}>
              <Table size="small" aria-label="Requests">
                <TableHead sx={{ '& th': { whiteSpace: 'nowrap' } }}>
                  <TableRow>
                    <TableCell>Service</TableCell>
                    <TableCell>Action</TableCell>
                    <TableCell align="right">GPUs / pods</TableCell>
                    <TableCell>Requested by</TableCell>
                    <TableCell>Requested</TableCell>
                    <TableCell>Status</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {page.items.map(a => (
                    <TableRow
                      key={a.id}
                      hover
                      selected={a.id === id}
                      aria-selected={a.id === id}
                    >
                      <TableCell>
                        <Button
                          size="small"
                          sx={{
                            textTransform: 'none',
                            justifyContent: 'flex-start',
                          }}
                          onClick={() => navigate(`../approvals/${a.id}`)}
                          aria-label={`Open request ${a.action} ${a.cluster}/${a.namespace}/${a.name}`}
                        >
                          {a.cluster}/{a.namespace}/{a.name}
                        </Button>
                      </TableCell>
                      <TableCell sx={{ whiteSpace: 'nowrap' }}>
                        {a.action}
                      </TableCell>
                      <TableCell align="right">
                        {a.summary
                          ? `${a.summary.gpus} / ${a.summary.pods}`
                          : '—'}
                      </TableCell>
                      <TableCell>
                        {a.requestedBy}
                        {me && a.requestedBy === me ? ' (you)' : ''}
                      </TableCell>
                      <TableCell title={a.requestedAt}>
                        {new Date(a.requestedAt).toLocaleString()}
                      </TableCell>
                      <TableCell>
                        <ApprovalStatusChip status={a.status} />
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
            <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mt: 1 }}>
              <Typography variant="body2" color="text.secondary">
                {offset + 1}–{offset + page.items.length} of {page.totalCount}
              </Typography>
              <Button
                size="small"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
              >
                Previous
              </Button>
              <Button
                size="small"
                disabled={offset + page.items.length >= page.totalCount}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Next
              </Button>
            </Box>
          </>
        )}
      </Grid>
      {id && (
        <Grid item xs={12} xl={6}>
          <Box sx={{ display: 'flex', justifyContent: 'flex-end' }}>
            <Button size="small" onClick={() => navigate('../approvals')}>
              Close
            </Button>
          </Box>
          <ApprovalDetail id={id} me={me} onChanged={() => list.refresh()} />
        </Grid>
      )}
    </Grid>
  );
}

/**
 * The approvals page: pending, decided and own requests with filters; a request shows its manifest, what it would
 * change, the GPU/pod summary and the policy's reasons, and lets those allowed approve or reject it. Mounted at
 * `/fusioninfer` (backend notifications link to `/fusioninfer/approvals/<id>`).
 * @public
 */
export function ApprovalsPage(props: {
  /** Render Backstage's Page/Header (legacy apps); the new frontend system draws its own header. */
  withShell?: boolean;
}) {
  const routes = (
    <Routes>
      <Route path="approvals/:id?" element={<ApprovalsView />} />
      <Route path="*" element={<Navigate to="approvals" replace />} />
    </Routes>
  );
  if (!props.withShell) return <Box sx={{ p: 3 }}>{routes}</Box>;
  return (
    <Page themeId="tool">
      <Header
        title="Inference approvals"
        subtitle="Deployments held by the approval policy for a second person"
      />
      <Content>{routes}</Content>
    </Page>
  );
}

/** The approvals page with Backstage's Page and Header, for apps on the legacy frontend system. */
export function LegacyApprovalsPage() {
  return <ApprovalsPage withShell />;
}
