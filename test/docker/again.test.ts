// Messages that point the right way on the Compose runtime: `mesh up` on a mesh that is already up
// reconciles it (on the API port it runs on, with no note about ports in use), names the directory the
// mesh runs from when two meshes share a name, `mesh logs NAME` run elsewhere names the mesh that
// runs, and a second `mesh down` says nothing runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, cleanUp, copyExample, mesh, meshWith, type Example } from './harness.ts';

let running: Example | undefined;
let twin: Example | undefined;

beforeAll(async () => {
  running = await copyExample('canary', 'again');
  // The same mesh name, so the same Compose project, from another directory.
  twin = await copyExample('canary', 'again');
  const up = await mesh('up', '--runtime', 'docker', '-d', running.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
}, 240_000);
afterAll(async () => {
  await cleanUp(twin);
  await cleanUp(running);
}, 240_000);

describe('mesh up and mesh down, again', () => {
  it('mesh up on a mesh that is up: reconciles it on the same API port, no note about ports in use', async () => {
    const api = await apiOf(running!.dir);
    const again = await meshWith({ LOCALMESH_API_PORT: new URL(api).port }, 'up', '--runtime', 'docker', '-d', running!.dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('is in use');
    expect(again.stdout).toContain(`The Compose stack ${running!.project} exists: reconciling it`);
    expect(await apiOf(running!.dir)).toBe(api);
  });

  it('mesh up of another mesh of the same name names the directory that runs', async () => {
    const up = await mesh('up', '--runtime', 'docker', '-d', twin!.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).not.toContain(`mesh down ${twin!.dir}`);
    expect(up.stderr).toContain(`runs from ${running!.dir}; run mesh down ${running!.dir} first`);
  });

  it('mesh logs NAME elsewhere names the Docker mesh that runs; mesh logs DIR NAME shows its logs', async () => {
    const here = await mesh('logs', 'reviews-v1');
    expect(here.code).toBe(1);
    expect(here.stderr).not.toMatch(/No logs for reviews-v1 in .*\.mesh\/process\/logs\.$/m);
    expect(here.stderr).toMatch(new RegExp(`(one runs|meshes run) in [^:]*${running!.dir}[^:]*: name it first, e\\.g\\. mesh logs \\S+ reviews-v1\\.$`, 'm'));
    const named = await mesh('logs', running!.dir, 'reviews-v1');
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain('reviews-v1');
  });

  it('a second mesh down says nothing runs, and exits 0', async () => {
    const first = await mesh('down', running!.dir);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const second = await mesh('down', running!.dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`Nothing runs for ${running!.dir}`);
    expect(second.stdout + second.stderr).not.toContain('state.json');
  });
});
