// For test files that need real nodes and balancers: a cluster and balancers started before
// the file's first test, and every process stopped (by pid) and every data dir removed after
// its last.
import { afterAll, beforeAll } from 'vitest';
import { TestBalancers } from './balancers.js';
import { type ClusterOptions, TestCluster } from './cluster.js';
import { stopAll } from './processes.js';

export interface ClusterAndBalancers {
  readonly cluster: TestCluster;
  readonly balancers: TestBalancers;
}

export function useClusterAndBalancers(
  options: ClusterOptions & { readonly balancers?: number; readonly balancerArgs?: string[] } = {},
): ClusterAndBalancers {
  const made: { cluster?: TestCluster; balancers?: TestBalancers } = {};
  beforeAll(async () => {
    made.cluster = await TestCluster.create(options);
    await made.cluster.startAll();
    made.balancers = await TestBalancers.create(
      made.cluster,
      options.balancers ?? 1,
      options.balancerArgs ?? [],
    );
    await made.balancers.startAll();
  }, 60_000);
  afterAll(async () => {
    await made.balancers?.killAll();
    await made.cluster?.destroy();
    await stopAll();
  });
  return {
    get cluster(): TestCluster {
      if (made.cluster === undefined) throw new Error('cluster used before beforeAll ran');
      return made.cluster;
    },
    get balancers(): TestBalancers {
      if (made.balancers === undefined) throw new Error('balancers used before beforeAll ran');
      return made.balancers;
    },
  };
}
