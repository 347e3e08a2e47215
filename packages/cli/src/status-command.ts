// `troupe status`: the cluster as the first reachable balancer sees it, as a table or as
// the balancer's /status JSON.
import type { StatusCommand } from './args.js';
import { UnreachableError } from './errors.js';
import type { Out } from './output.js';
import { fetchStatus } from './status-fetch.js';
import { renderStatusTable } from './status-table.js';
import { balancerTargets } from './target.js';
import { readTlsCa } from './tls-ca.js';

export async function runStatus(command: StatusCommand, out: Out): Promise<void> {
  const targets = balancerTargets(command.balancer, command.dataDir);
  const ca = readTlsCa(command.tlsCa);
  let lastError: unknown = null;
  for (const target of targets) {
    try {
      const { view, raw } = await fetchStatus(target, command.timeoutMs, ca);
      if (command.json) out.json(raw);
      else out.line(renderStatusTable(view));
      return;
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new UnreachableError('no balancer to ask');
}
