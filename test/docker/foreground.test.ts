// `mesh up` in the foreground on the Compose runtime: it follows the logs until Ctrl-C, then
// removes the stack.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/traffic.ts';
import { cleanUp, copyExample, leftovers, sleep, type Example } from './harness.ts';

let example: Example | undefined;
afterAll(() => cleanUp(example), 120_000);

describe('mesh up --runtime docker in the foreground', () => {
  it('serves until SIGINT, then removes every container and network of the stack', async () => {
    example = await copyExample('canary', 'fg');
    const up = spawn(process.execPath, ['bin/mesh.js', 'up', '--runtime', 'docker', example.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    up.stdout.on('data', (d) => (output += d));
    up.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => up.on('exit', resolve));
    const deadline = Date.now() + 180_000;
    while (!output.includes('Ctrl-C stops the mesh.')) {
      if (Date.now() > deadline || up.exitCode !== null) {
        up.kill('SIGINT');
        throw new Error(`mesh up did not come up within 180 s:\n${output}`);
      }
      await sleep(100);
    }
    expect((await send({ port: example.gatewayPort })).status).toBe(200);
    up.kill('SIGINT');
    expect(await exited, output).toBe(0);
    expect(output).toContain('Stopped.');
    expect(await leftovers(example.project)).toEqual([]);
  }, 240_000);
});
