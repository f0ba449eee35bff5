/**
 * A local controller's `flow.open` request to central, robust to central being away for a moment (restarting, or the
 * channel reconnecting): a request that fails because the channel is closed or timed out is sent again once the
 * channel is back, until `deadlineMs` after the first attempt. The first packets of the flow stay held meanwhile
 * (LocalController), so a restart of central costs them delay, not loss. Errors central answers (NAT_POOL_EXHAUSTED,
 * VM_NOT_FOUND, ...) are final.
 */
import { isFlowOpenReply, type FlowOpenRequest, type FlowReopenRequest } from '../central/cross-site-protocol';
import { isXsiteError, XsiteError } from '../core/errors';
import type { CrossSiteFlow } from '../model/cross-site-flow';
import type { ChannelClient } from '../ports/control-channel';

const RETRYABLE = ['CHANNEL_CLOSED', 'CHANNEL_TIMEOUT'];

export async function openFlowViaCentral(
  client: Pick<ChannelClient, 'isConnected' | 'request' | 'once' | 'off'>,
  req: FlowOpenRequest | FlowReopenRequest,
  opts: { deadlineMs?: number; requestTimeoutMs?: number } = {},
): Promise<CrossSiteFlow> {
  const deadline = Date.now() + (opts.deadlineMs ?? 20_000);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new XsiteError('CROSS_SITE_CENTRAL_UNAVAILABLE', `central did not set up the flow within ${opts.deadlineMs ?? 20_000} ms`);
    if (!client.isConnected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          client.off('connected', done);
          resolve();
        }
        client.once('connected', done);
      });
      continue;
    }
    try {
      const reply = await client.request(req, { timeoutMs: Math.min(opts.requestTimeoutMs ?? 15_000, Math.max(1, deadline - Date.now())) });
      if (!isFlowOpenReply(reply)) throw new XsiteError('CROSS_SITE_BAD_REPLY', 'central answered flow.open with something else');
      return reply.flow;
    } catch (e) {
      if (!RETRYABLE.some((c) => isXsiteError(e, c))) throw e;
      // The channel went away under the request: wait for it and ask again (flow.open is idempotent at central).
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
