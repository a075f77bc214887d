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

import {
  context,
  exampleInputs,
  mockClient,
  responseError,
} from '../__testUtils__/mocks';
import { detail } from '../__testUtils__/details';
import { createDeleteAction } from './delete';
import { examples } from './delete.examples';

describe('fusioninfer:service:delete', () => {
  let client: ReturnType<typeof mockClient>;
  let action: ReturnType<typeof createDeleteAction>;
  beforeEach(() => {
    client = mockClient();
    action = createDeleteAction({ client, pollIntervalMs: 5 });
  });

  it.each(exampleInputs(examples).map((x, i) => [i, x]))(
    'runs example %s',
    async (_, input) => {
      client.deleteService.mockResolvedValue({});
      client.getService.mockRejectedValue(await responseError(404, 'gone'));
      const c = context(input);
      await action.handler(c.ctx as any);
      expect(c.outputs()).toEqual({
        cluster: 'dev',
        namespace: 'ml',
        name: 'qwen-chat',
        deleted: true,
      });
    },
  );

  it('deletes nothing unless confirm repeats the name', async () => {
    const c = context({ service: 'dev/ml/qwen-chat', confirm: 'qwen' });
    await expect(action.handler(c.ctx as any)).rejects.toThrow(
      'confirm: type the name of the service to delete (qwen-chat); nothing was deleted',
    );
    expect(client.deleteService).not.toHaveBeenCalled();
  });

  it('picks the confirmed service from an entity annotation listing several', async () => {
    client.deleteService.mockResolvedValue({});
    const c = context({
      service: 'dev/ml/chat-small, gpu-a/ml/chat-large',
      confirm: 'chat-large',
      wait: false,
    });
    await action.handler(c.ctx as any);
    expect(client.deleteService).toHaveBeenCalledWith(
      { cluster: 'gpu-a', namespace: 'ml', name: 'chat-large' },
      expect.anything(),
    );
  });

  it('rejects a malformed service reference and mixed inputs', async () => {
    await expect(
      action.handler(
        context({ service: 'ml/qwen; rm', confirm: 'qwen' }).ctx as any,
      ),
    ).rejects.toThrow(/^service: /);
    await expect(
      action.handler(
        context({ service: 'dev/ml/a', name: 'a', confirm: 'a' }).ctx as any,
      ),
    ).rejects.toThrow(/not both/);
  });

  it('treats a service that is already gone as done', async () => {
    client.deleteService.mockRejectedValue(
      await responseError(404, 'not found'),
    );
    const c = context(exampleInputs(examples)[0]);
    await action.handler(c.ctx as any);
    expect(c.outputs().deleted).toBe(false);
    expect(client.getService).not.toHaveBeenCalled();
  });

  it('reports a refused delete', async () => {
    client.deleteService.mockRejectedValue(
      await responseError(403, 'not allowed: fusioninfer.service.delete'),
    );
    await expect(
      action.handler(context(exampleInputs(examples)[0]).ctx as any),
    ).rejects.toThrow(
      'cannot delete dev/ml/qwen-chat: 403 not allowed: fusioninfer.service.delete',
    );
  });

  it('waits until the service is gone, and deletes once across task recovery', async () => {
    client.deleteService.mockResolvedValue({});
    client.getService
      .mockResolvedValueOnce(detail('ready'))
      .mockRejectedValue(await responseError(404, 'gone'));
    const store = new Map<string, unknown>();
    const c = context(exampleInputs(examples)[0], { store });
    await action.handler(c.ctx as any);
    expect(c.logs()).toContain('info: dev/ml/qwen-chat is gone');
    await action.handler(
      context(exampleInputs(examples)[0], { store }).ctx as any,
    );
    expect(client.deleteService).toHaveBeenCalledTimes(1);
  });

  it('dry run deletes nothing', async () => {
    const c = context(exampleInputs(examples)[0], { isDryRun: true });
    await action.handler(c.ctx as any);
    expect(client.deleteService).not.toHaveBeenCalled();
    expect(c.outputs().deleted).toBe(false);
  });
});
