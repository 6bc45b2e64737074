// examples/shop on the process runtime: apps call each other by plain service name through their
// sidecars (HTTP_PROXY; Node's fetch tunnels with CONNECT), and the mesh's routes apply there.
// `mesh up` runs with the machine's own `node` (often older than 24, which ignores
// NODE_USE_ENV_PROXY) first on PATH, as a user's shell has it: the apps' `node` is still one
// that honours the proxy variables.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { send } from '../../helpers/traffic.ts';
import { upExample } from './harness.ts';

/** The `node` a shell finds with the default PATH (e.g. /usr/bin/node): the machine's own. */
function machineNode(): string {
  const path = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: path }, encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`This test runs the mesh with the machine's own node first on PATH, and there is no node on ${path}.`);
  }
}

const shop = upExample('shop', { env: { PATH: `${dirname(machineNode())}:${process.env.PATH ?? ''}` } });

interface Reply {
  service: string;
  version: string;
  upstreams?: Array<{ url: string; status: number; body: Reply }>;
}

/** A frontend reply whose calls all succeeded (cart fails 5% by design; the gateway retries). */
async function frontend(headers: Record<string, string> = {}): Promise<Reply> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await send({ port: shop.gatewayPort, path: '/', headers, timeoutMs: 10_000 });
    if (res.status === 200) return JSON.parse(res.body) as Reply;
  }
  throw new Error('the frontend did not answer 200 in 5 tries');
}

describe('examples/shop on the process runtime', () => {
  it('frontend → catalog → pricing and frontend → cart, each call through the caller\'s sidecar', async () => {
    expect(shop.up.stdout).toContain('pricing-v1: replicas: 2 runs as one process');
    expect(shop.up.stdout).toMatch(/Apps run with Node \d+ .* first on PATH/);
    const reply = await frontend();
    expect(reply.service).toBe('frontend');
    const [catalog, cart] = reply.upstreams!;
    expect(catalog).toMatchObject({ url: 'http://catalog:9080/items', status: 200, body: { service: 'catalog' } });
    expect(catalog!.body.upstreams![0]).toMatchObject({ url: 'http://pricing:9080/price', status: 200, body: { service: 'pricing', version: 'v1' } });
    expect(cart).toMatchObject({ status: 200, body: { service: 'cart' } });
  });

  it('routes by header inside the tunnel: end-user: tester reaches pricing v2 two hops down', async () => {
    const tester = await frontend({ 'end-user': 'tester' });
    expect(tester.upstreams![0]!.body.upstreams![0]!.body.version).toBe('v2');
    const other = await frontend({ 'end-user': 'someone' });
    expect(other.upstreams![0]!.body.upstreams![0]!.body.version).toBe('v1');
  });
});
