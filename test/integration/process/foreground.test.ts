// `mesh up` in the foreground: it stays until Ctrl-C, then stops everything it started.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readState } from '../../../src/runtime/process/state.ts';
import { alive } from '../../../src/runtime/process/supervise.ts';
import { send } from '../../helpers/traffic.ts';
import { copyExample, mesh, processesIn } from './harness.ts';
import { realPid } from './pids.ts';

/** When a request through the gateway was first answered 200 by reviews v1 (before `deadline`). */
async function waitForV1(port: number, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    const r = await send({ port, timeoutMs: 2000 });
    if (r.status === 200 && r.version === 'v1') return Date.now();
  }
  throw new Error('reviews v1 did not answer through the gateway again');
}

let dir = '';
afterAll(async () => {
  if (!dir) return;
  await mesh('down', dir);
  await rm(dirname(dir), { recursive: true, force: true });
});

describe('mesh up in the foreground', () => {
  it('chooses the process runtime, serves until SIGINT, then stops every process it started and removes its state', async () => {
    const example = await copyExample('canary');
    dir = example.dir;
    // No engine answers at DOCKER_HOST, so without --runtime it chooses the process runtime.
    const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const up = spawn(process.execPath, ['bin/mesh.js', 'up', dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    up.stdout.on('data', (d) => (output += d));
    up.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => up.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (Date.now() > deadline || up.exitCode !== null) throw new Error(`mesh up did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toMatch(/^No Docker engine answers: using the process runtime\.$/m);
    expect((await send({ port: example.gatewayPort })).status).toBe(200);
    expect((await readState(dir))!.up?.pid).toBe(up.pid);

    // kill -9 of a sidecar's Envoy: mesh up itself starts it again, and says so.
    const proxy = (await readState(dir))!.processes.find((p) => p.name === 'reviews-v1-proxy')!;
    const killed = Date.now();
    process.kill(await realPid(proxy.pid), 'SIGKILL');
    for (;;) {
      const now = (await readState(dir))!.processes.find((p) => p.name === 'reviews-v1-proxy')!;
      if (now.restarts === 1 && alive(now)) break;
      if (Date.now() - killed > 10_000) throw new Error(`reviews-v1-proxy not restarted within 10 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toMatch(/^reviews-v1-proxy (exited with code 137|is gone); restarting it in 100 ms \(restart 1\)\.$/m);
    const v1 = await waitForV1(example.gatewayPort, killed + 10_000);
    console.info(`foreground: kill -9 reviews-v1-proxy, v1 answers again after ${v1 - killed} ms`);

    up.kill('SIGINT');
    expect(await exited, output).toBe(0);
    expect(output).toContain('Stopped.');
    expect(await processesIn(dir)).toEqual([]);
    expect(await readState(dir)).toBeUndefined();
  }, 90_000);
});
