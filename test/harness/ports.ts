// Free loopback ports for tests that must know a port before a process binds it (restarting a
// process on the same address). Ports come from below the kernel's ephemeral range (Linux
// default 32768-60999): a port asked of the kernel with listen(0) and released could be handed
// to any outgoing connection before our child binds it (CI saw a balancer fail to start that
// way), while ports below that range are never picked for outgoing connections. Each test
// process walks its own stride of the range, so parallel test files rarely try the same port,
// and each port is test-bound before it is handed out.
import { createServer } from 'node:net';

const firstPort = 20_000;
const portCount = 12_000;
// A prime stride spreads consecutive picks; the start depends on the pid so that forks differ.
const stride = 7_919;
let nextIndex = (process.pid * 104_729) % portCount;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = firstPort + nextIndex;
    nextIndex = (nextIndex + stride) % portCount;
    if (await canBind(port)) return port;
  }
  throw new Error(`no free loopback port in ${firstPort}-${firstPort + portCount - 1}`);
}
