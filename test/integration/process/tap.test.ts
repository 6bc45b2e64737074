// `mesh tap` on the process runtime (examples/canary at 90/10): every proxy streams its access
// log to the control plane over gRPC (ALS), and the tap prints each request within a second of it
// being served: the gateway's line and the version's sidecar's, filtered to reviews/v2.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { TapEntry } from '../../../src/xds/access-log.ts';
import { send } from '../../helpers/traffic.ts';
import { sleep, upExample } from './harness.ts';

const canary = upExample('canary');

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
