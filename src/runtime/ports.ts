// Loopback ports for the process runtime: free ones handed out by the kernel, and checks that a
// chosen port (a gateway's published port, the control plane's default) can be listened on.
import { createServer, type Server } from 'node:net';

const HOST = '127.0.0.1';

function listen(port: number, host = HOST): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** `count` distinct free ports on 127.0.0.1 (all held open together while chosen), none in `avoid`. */
export async function freePorts(count: number, avoid: ReadonlySet<number> = new Set()): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listen(0);
      servers.push(server);
      const { port } = server.address() as { port: number };
      if (!avoid.has(port)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Whether something could listen on HOST:port now (127.0.0.1 unless given). */
export async function portFree(port: number, host = HOST): Promise<boolean> {
  try {
    await close(await listen(port, host));
    return true;
  } catch {
    return false;
  }
}
