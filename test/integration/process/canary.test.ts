// examples/canary on the process runtime, as a user runs it: `mesh up -d`, traffic through the
// gateway, `mesh weight` and hand edits under load, a control-plane restart, `mesh down`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import type { ControlStatus } from '../../../src/control/controller.ts';
import { unsynced } from '../../../src/runtime/readiness.ts';
import { readState } from '../../../src/runtime/process/state.ts';
import { binomialCheck, sendMany } from '../../helpers/traffic.ts';
import { failed, getJson, mesh, processesIn, sleep, startLoad, upExample } from './harness.ts';

const PROXIES = ['mesh-gateway', 'reviews-v1', 'reviews-v2'];
const canary = upExample('canary');
const reviewsYaml = () => join(canary.dir, 'reviews.yaml');

/** The share of responses from reviews v2 among those completed after `from` (performance.now()). */
function v2Share(responses: Array<{ at: number; version: string }>, from: number) {
  const after = responses.filter((r) => r.at >= from);
  return { n: after.length, v2: after.filter((r) => r.version === 'v2').length };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('mesh up --runtime process -d examples/canary', () => {
  it('records every process and its ports, and the gateway answers', async () => {
    expect(canary.up.stdout).toContain(`Gateway: http://127.0.0.1:${canary.gatewayPort}/`);
    const state = (await readState(canary.dir))!;
    expect(state.processes.map((p) => p.name).sort()).toEqual(
      ['mesh-control', 'mesh-gateway', 'reviews-v1', 'reviews-v1-proxy', 'reviews-v2', 'reviews-v2-proxy'],
    );
    expect(await unsynced(canary.api, PROXIES)).toEqual([]);
    const tally = await sendMany(20, { port: canary.gatewayPort });
    expect(tally.byStatus, tally.summary).toEqual({ 200: 20 });
  });

  it('mesh proxy-status and proxy-config find this mesh’s control plane from its directory', async () => {
    const status = await mesh('proxy-status', '--dir', canary.dir);
    expect(status.code, status.stderr).toBe(0);
    for (const proxy of PROXIES) expect(status.stdout).toMatch(new RegExp(`${proxy}\\s+yes\\s+SYNCED\\s+SYNCED`));
    const routes = await mesh('proxy-config', 'mesh-gateway', 'routes', '-o', 'json', '--dir', canary.dir);
    expect(routes.code, routes.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(routes.stdout))).toContain('outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('splits 1000 requests 90/10 within binomial bounds', async () => {
    const tally = await sendMany(1000, { port: canary.gatewayPort }, 16);
    expect(tally.byStatus[200], tally.summary).toBe(1000);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.1);
    expect(check.ok, `${check.message}; ${tally.summary}`).toBe(true);
  });

  it('mesh weight reviews v1=50 v2=50 moves the split within a second, loses no request and keeps the comments', async () => {
    const before = await readFile(reviewsYaml(), 'utf8');
    const load = startLoad(canary.gatewayPort);
    await sleep(300);
    const weight = await mesh('weight', 'reviews', 'v1=50', 'v2=50', '--dir', canary.dir);
    const written = performance.now();
    expect(weight.code, weight.stderr).toBe(0);
    expect(weight.stdout).toContain('v1 90 → 50, v2 10 → 50');
    await sleep(3000);
    const responses = await load.stop();
    console.info(`mesh weight under load: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses), `${failed(responses).length} of ${responses.length} failed`).toEqual([]);
    const { n, v2 } = v2Share(responses, written + 1000);
    const check = binomialCheck(v2, n, 0.5);
    expect(check.ok, `a second after the write: ${check.message}`).toBe(true);
    // Only the two numbers changed: comments and spacing byte for byte.
    expect(await readFile(reviewsYaml(), 'utf8')).toBe(
      before.replace('weight: 90   # stable', 'weight: 50   # stable').replace('weight: 10   # canary', 'weight: 50   # canary'),
    );
  });

  it('a broken edit is not pushed: traffic stays as it was and /status points at file:line:col', async () => {
    const good = await readFile(reviewsYaml(), 'utf8');
    const load = startLoad(canary.gatewayPort);
    await writeFile(reviewsYaml(), good.replace('weight: 50   # canary', 'weight: [50   # canary'));
    const broken = performance.now();
    let status: ControlStatus | undefined;
    await waitFor('/status reports the broken file', async () => {
      status = await getJson<ControlStatus>(`${canary.api}/status`);
      return !status.valid;
    });
    await sleep(1500);
    await writeFile(reviewsYaml(), good);
    await waitFor('/status valid again', async () => (await getJson<ControlStatus>(`${canary.api}/status`)).valid);
    const responses = await load.stop();
    console.info(`broken edit: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses)).toEqual([]);
    const { n, v2 } = v2Share(responses, broken);
    expect(binomialCheck(v2, n, 0.5).ok, binomialCheck(v2, n, 0.5).message).toBe(true);
    const error = status!.diagnostics.find((d) => d.severity === 'error')!;
    expect(`${error.file}:${error.line}:${error.col}`).toMatch(/reviews\.yaml:\d+:\d+$/);
    expect(error.line).toBeGreaterThan(0);
  });

  it('50 weight changes under continuous load lose no request', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const load = startLoad(canary.gatewayPort);
    for (let i = 1; i <= 50; i++) {
      const v1 = i === 50 ? 100 : (i * 37) % 101;
      expect(await main(['weight', 'reviews', `v1=${v1}`, `v2=${100 - v1}`, '--dir', canary.dir])).toBe(0);
      await sleep(40);
    }
    const last = performance.now();
    await sleep(1500);
    const responses = await load.stop();
    vi.restoreAllMocks();
    console.info(`50 weight changes: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses), `${failed(responses).length} of ${responses.length} failed`).toEqual([]);
    expect(v2Share(responses, last + 1000).v2, 'the last weights (v1=100) serve').toBe(0);
  }, 60_000);

  it('keeps traffic flowing while the control plane is killed and the supervisor restarts it; the proxies resync', async () => {
    const state = (await readState(canary.dir))!;
    const control = state.processes.find((p) => p.name === 'mesh-control')!;
    const load = startLoad(canary.gatewayPort);
    process.kill(-control.pid, 'SIGKILL');
    await waitFor('the API is gone', async () => {
      try {
        await fetch(`${canary.api}/status`, { signal: AbortSignal.timeout(500) });
        return false;
      } catch {
        return true;
      }
    });
    await waitFor('the supervisor restarted it', async () => (await readState(canary.dir))!.processes.find((p) => p.name === control.name)!.restarts === 1);
    await waitFor('every proxy SYNCED again', async () => (await unsynced(canary.api, PROXIES)).length === 0, 15_000);
    // The new control plane serves edits.
    expect(await mesh('weight', 'reviews', 'v1=0', 'v2=100', '--dir', canary.dir)).toMatchObject({ code: 0 });
    const edited = performance.now();
    await sleep(2000);
    const responses = await load.stop();
    console.info(`control plane killed and restarted: ${responses.length} requests, ${failed(responses).length} failed`);
    expect(failed(responses), `${failed(responses).length} of ${responses.length} failed`).toEqual([]);
    const { n, v2 } = v2Share(responses, edited + 1000);
    expect(v2, 'after the edit, all to v2').toBe(n);
  }, 60_000);

  it('mesh down leaves no process behind', async () => {
    const down = await mesh('down', canary.dir);
    expect(down.code, down.stderr).toBe(0);
    expect(await processesIn(canary.dir)).toEqual([]);
    expect(await readState(canary.dir)).toBeUndefined();
  });
});
