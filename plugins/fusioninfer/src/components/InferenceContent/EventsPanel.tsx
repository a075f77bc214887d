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

import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { ServiceDetail } from '@fusioninfer/plugin-fusioninfer-common';
import { formatAge } from '../../lib/state';

/** Recent events of the service and its children (newest first, as the backend sorts them). */
export function EventsPanel(props: { events: ServiceDetail['events'] }) {
  if (props.events.length === 0)
    return (
      <Typography variant="body2" color="text.secondary">
        No recent events for this service or its children.
      </Typography>
    );
  return (
    <Table size="small" aria-label="Events">
      <TableHead>
        <TableRow>
          <TableCell>Type</TableCell>
          <TableCell>Reason</TableCell>
          <TableCell>Object</TableCell>
          <TableCell>Message</TableCell>
          <TableCell align="right">Last seen</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.events.map((e, i) => (
          <TableRow key={i}>
            <TableCell>
              <Chip
                size="small"
                label={e.type ?? 'Normal'}
                color={e.type === 'Warning' ? 'warning' : 'default'}
              />
            </TableCell>
            <TableCell>{e.reason}</TableCell>
            <TableCell>
              <code>{e.object}</code>
            </TableCell>
            <TableCell>{e.message}</TableCell>
            <TableCell align="right" title={e.lastTimestamp}>
              {e.lastTimestamp ? `${formatAge(e.lastTimestamp)} ago` : '—'}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
