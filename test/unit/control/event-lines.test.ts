// What `mesh control` prints for many proxies: one line per step, not one per proxy.
import { describe, expect, it } from 'vitest';
import { eventLines } from '../../../src/control/event-lines.ts';
import type { ControlEvent } from '../../../src/control/events.ts';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
let id = 0;
const ev = (e: Record<string, unknown> & { type: ControlEvent['type'] }, at = AT) => ({ id: ++id, at, ...e }) as ControlEvent;
const pushed = (proxy: string, version = 'r1', at = AT) => ev({ type: 'pushed', proxy, kind: 'routes', version, resources: ['80'] }, at);
const acked = (proxy: string, latencyMs: number, version = 'r1') => ev({ type: 'acked', proxy, kind: 'routes', version, latencyMs }, AT + latencyMs);
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lines() {
  const out: string[] = [];
  return { out, log: eventLines((line) => out.push(line), 20) };
}

describe('eventLines', () => {
  it("tells one publish's pushes in one line once the burst is over, and their ACKs in one once all pushed have ACKed", async () => {
    const { out, log } = lines();
    log.add(ev({ type: 'compiled', version: '2-abc', proxies: ['a', 'b', 'c', 'd'], warnings: 0, ms: 3 }));
    for (const p of ['a', 'b', 'c', 'd']) log.add(pushed(p, 'r1', AT + 1));
    log.add(pushed('mesh-gateway', 'g1', AT + 2));
    expect(out).toHaveLength(1);
    await tick();
    expect(out.slice(1)).toEqual([
      '03:04:05.001 Pushed routes version r1 to 4 proxies (1 resource each).',
      '03:04:05.002 Pushed routes version g1 to mesh-gateway (1 resource).',
    ]);
    log.add(acked('b', 7));
    log.add(acked('a', 3));
    log.add(acked('c', 12));
    expect(out).toHaveLength(3);
    log.add(acked('d', 9));
    expect(out.at(-1)).toBe('03:04:05.009 4 proxies accepted routes version r1 in 3 to 12 ms.');
  });

  it('tells a group not complete once it has been quiet, naming up to three proxies', async () => {
    const { out, log } = lines();
    for (const p of ['a', 'b', 'c']) log.add(pushed(p));
    await tick();
    log.add(acked('a', 5));
    log.add(acked('c', 5));
    await sleep(5);
    expect(out).toEqual(['03:04:05.000 Pushed routes version r1 to a, b and c (1 resource each).']);
    await sleep(40);
    expect(out.at(-1)).toBe('03:04:05.005 a and c accepted routes version r1 in 5 ms.');
    log.add(ev({ type: 'connected', proxy: 'x' }));
    log.add(ev({ type: 'connected', proxy: 'y' }));
    log.add(ev({ type: 'nacked', proxy: 'x', kind: 'clusters', version: 'c2', message: 'bad' }));
    log.add(ev({ type: 'nacked', proxy: 'y', kind: 'clusters', version: 'c2', message: 'bad' }));
    log.add(ev({ type: 'nacked', proxy: 'z', kind: 'clusters', version: 'c2', message: 'worse' }));
    log.flush();
    expect(out.slice(2)).toEqual([
      '03:04:05.000 x and y connected.',
      '03:04:05.000 x and y rejected clusters version c2: bad',
      '03:04:05.000 z rejected clusters version c2: worse',
    ]);
  });

  it('keeps the order of the events: a step of the controller prints what waits first; one proxy reads as before', async () => {
    const { out, log } = lines();
    log.add(pushed('a'));
    await tick();
    log.add(acked('a', 4));
    log.add(ev({ type: 'disconnected', proxy: 'b' }));
    log.add(ev({ type: 'changed', files: ['vs.yaml'], ms: 1 }));
    expect(out).toEqual([
      '03:04:05.000 Pushed routes version r1 to a (1 resource).',
      '03:04:05.004 a accepted routes version r1 in 4 ms.',
      '03:04:05.000 b disconnected.',
      '03:04:05.000 vs.yaml changed.',
    ]);
  });
});
