// `mesh tap` on the process runtime (examples/canary at 90/10): every proxy streams its access
// log to the control plane over gRPC (ALS), and the tap prints each request within a second of it
// being served: the gateway's line and the version's sidecar's, filtered to reviews/v2. Only while
// someone watches: before, the proxies log nothing and trace about 1% (compile/runtime.ts), and
// the switch reaches them over RTDS without touching a listener.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { statePaths } from '../../../src/runtime/process/state.ts';
import type { TapEntry } from '../../../src/xds/access-log.ts';
import { send } from '../../helpers/traffic.ts';
import { sleep, upExample, watching } from './harness.ts';

const canary = upExample('canary');

/** The counters of a proxy's Envoy (its admin's /stats), by name. */
async function counters(proxy: string): Promise<Record<string, number>> {
  const ports = (JSON.parse(await readFile(statePaths(canary.dir).portMap, 'utf8')) as { ports: Record<string, number> }).ports;
  const text = await (await fetch(`http://127.0.0.1:${ports[`admin ${proxy}`]}/stats`)).text();
  return Object.fromEntries(text.split('\n').flatMap((line) => {
    const m = /^([^:]+): (\d+)$/.exec(line);
    return m ? [[m[1]!, Number(m[2])]] : [];
  }));
}

describe('telemetry on demand', () => {
  // First in the file: nobody has watched this mesh yet.
  it('logs no request and traces about 1% while nobody watches; every one once a tap is open, with no listener changed', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await counters('mesh-gateway');
    for (let i = 0; i < 100; i++) expect((await send({ port: canary.gatewayPort, path: `/idle-${i}` }, agent)).status).toBe(200);
    await sleep(1200); // the access log flushes every 0.2 s, stats every second
    const idle = await counters('mesh-gateway');
    const sidecarIdle = await counters('reviews-v1');
    const delta = (after: Record<string, number>, name: string, from: Record<string, number> = before) => (after[name] ?? 0) - (from[name] ?? 0);
    expect(delta(idle, 'access_logs.grpc_access_log.logs_written')).toBe(0);
    expect(sidecarIdle['access_logs.grpc_access_log.logs_written'] ?? 0).toBe(0);
    // Binomial(100, 1%) reaches 8 about once in a hundred thousand runs.
    const tracedIdle = delta(idle, 'http.gateway_80.tracing.random_sampling');
    expect(tracedIdle).toBeLessThan(8);

    const stop = await watching(canary.api);
    try {
      for (let i = 0; i < 20; i++) expect((await send({ port: canary.gatewayPort, path: `/watched-${i}` }, agent)).status).toBe(200);
      await sleep(1200);
      const watched = await counters('mesh-gateway');
      console.log(`telemetry: idle 0 of 100 logged, ${tracedIdle} traced; watched ${delta(watched, 'access_logs.grpc_access_log.logs_written', idle)} of 20 logged, ${delta(watched, 'http.gateway_80.tracing.random_sampling', idle)} traced`);
      expect(delta(watched, 'access_logs.grpc_access_log.logs_written', idle)).toBe(20);
      expect(delta(watched, 'http.gateway_80.tracing.random_sampling', idle)).toBe(20);
      // The switch is the runtime layer's: no listener was modified, no connection drained (one connection served all).
      expect(delta(watched, 'listener_manager.listener_modified')).toBe(0);
      expect(delta(watched, 'http.gateway_80.downstream_cx_total')).toBe(1);
    } finally {
      stop();
      agent.destroy();
    }
  }, 60_000);
});

describe('mesh tap', () => {
  it('streams the requests to and from reviews v2, each within a second of being served', async () => {
    const tap = spawn(process.execPath, ['bin/mesh.js', 'tap', canary.dir, 'reviews/v2', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<{ entry: TapEntry; seenAt: number }> = [];
    let buffer = '';
    tap.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        lines.push({ entry: JSON.parse(buffer.slice(0, end)) as TapEntry, seenAt: Date.now() });
        buffer = buffer.slice(end + 1);
      }
    });
    let stderr = '';
    tap.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await sleep(1000); // connected
    let v2 = 0;
    for (let i = 0; i < 60; i++) {
      const response = await send({ port: canary.gatewayPort, path: `/tap-${i}`, headers: { 'end-user': 'tapper' }, timeoutMs: 5000 });
      expect(response.status).toBe(200);
      if (response.version === 'v2') v2++;
    }
    await sleep(1500);
    tap.kill('SIGINT');
    await new Promise((resolve) => tap.on('exit', resolve));
    expect(stderr).toBe('');
    const sidecar = lines.filter((l) => l.entry.proxy === 'reviews-v2' && l.entry.listener.startsWith('inbound'));
    const gateway = lines.filter((l) => l.entry.proxy === 'mesh-gateway');
    console.log(`tap: ${v2} of 60 requests to v2; ${sidecar.length} lines from its sidecar, ${gateway.length} from the gateway; latest ${Math.round(Math.max(...lines.map((l) => l.seenAt - l.entry.at)))} ms after the request began`);
    expect(v2).toBeGreaterThan(0);
    expect(sidecar).toHaveLength(v2);
    expect(gateway).toHaveLength(v2);
    for (const { entry, seenAt } of lines) {
      expect(entry.path).toMatch(/^\/tap-\d+$/);
      expect([entry.method, entry.status, entry.headers['end-user']]).toEqual(['GET', 200, 'tapper']);
      expect(seenAt - (entry.at + entry.durationMs)).toBeLessThan(1000);
    }
    expect(gateway.every((l) => l.entry.upstreamCluster === 'outbound|9080|v2|reviews.default.svc.cluster.local')).toBe(true);
    expect(sidecar.every((l) => l.entry.upstreamCluster === 'inbound|9080||' && l.entry.requestId !== '')).toBe(true);
    // The gateway's and the sidecar's lines of one request share its request id.
    expect(new Set(gateway.map((l) => l.entry.requestId))).toEqual(new Set(sidecar.map((l) => l.entry.requestId)));
  }, 60_000);
});
