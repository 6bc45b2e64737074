// Sampling on the process runtime: examples/shop with `settings.tracing.sampling: 50` traces about
// half the requests, and each traced request whole: every proxy decides from the x-request-id the
// gateway made (the apps forward it), so they agree (no trace starts at a sidecar).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceSummary } from '../../../src/control/traces.ts';
import { send } from '../../helpers/traffic.ts';
import { getJson, sleep, upExample } from './harness.ts';

const shop = upExample('shop', {
  prepare: async (dir) => {
    const file = join(dir, 'mesh.yaml');
    const text = await readFile(file, 'utf8');
    const sampled = text.replace('  settings:\n', '  settings:\n    tracing: { sampling: 50 }\n');
    if (sampled === text) throw new Error(`${file}: no settings to add tracing to`);
    await writeFile(file, sampled);
  },
});

describe('traces: sampling', () => {
  it('settings.tracing.sampling: 50 traces about half the requests, each whole', async () => {
    const sent = 40;
    for (let i = 0; i < sent; i++) await send({ port: shop.gatewayPort, path: `/sampled-${i}`, timeoutMs: 10_000 });
    await sleep(5500); // each proxy exports its last spans within 5 s
    const traces = await getJson<TraceSummary[]>(`${shop.api}/traces?limit=1000`);
    const ours = traces.filter((t) => t.root.includes('/sampled-'));
    console.log(`sampling 50%: ${ours.length} of ${sent} requests traced; roots: ${[...new Set(ours.map((t) => t.services[0]))].join(', ')}`);
    // Binomial(40, 0.5) falls outside 5..35 about once in a million runs.
    expect(ours.length).toBeGreaterThanOrEqual(5);
    expect(ours.length).toBeLessThanOrEqual(35);
    // A sidecar deciding by itself would leave traces rooted at frontend's or catalog's sidecar.
    for (const t of ours) {
      expect(t.services[0], t.traceId).toBe('mesh-gateway');
      expect(t.services, t.traceId).toEqual(expect.arrayContaining(['frontend', 'catalog', 'pricing']));
    }
  }, 60_000);
});
