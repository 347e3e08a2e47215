// Loopback ports for a first `troupe up`: the wanted port when it is free, else the next free
// one above it. Ports are chosen once and stored in cluster.json, so a second run (and every
// client) finds the cluster at the same addresses.
import { createServer } from 'node:net';
import { StartupError } from './errors.js';

/** How far above the wanted port to look before giving up. */
const portScanMax = 500;
const portHighest = 65_535;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The first bindable port at or above `wanted` that is not in `taken`; adds it to `taken`. */
export async function pickPort(wanted: number, taken: Set<number>): Promise<number> {
  for (let port = wanted; port < wanted + portScanMax && port <= portHighest; port++) {
    if (taken.has(port)) continue;
    if (!(await canBind(port))) continue;
    taken.add(port);
    return port;
  }
  throw new StartupError(`no free loopback port in ${wanted}-${wanted + portScanMax - 1}`);
}

/** Whether every port can be bound now: a second run checks before it spawns anything. */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) if (!(await canBind(port))) busy.push(port);
  return busy;
}
