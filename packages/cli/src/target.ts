// Which balancers a command talks to: --balancer when given, else every balancer in the data
// dir's cluster.json (what `troupe up` started), else the default local port.
import { resolve } from 'node:path';
import { balancerUrl, readLayout } from './cluster-file.js';
import { defaultBalancerPort } from './help.js';

export function balancerTargets(flag: string | null, dataDir: string): string[] {
  if (flag !== null) return [flag.replace(/^http(s?):\/\//, 'ws$1://')];
  const layout = readLayout(resolve(dataDir));
  if (layout !== null) return layout.balancers.map(balancerUrl);
  return [`ws://127.0.0.1:${defaultBalancerPort}`];
}
