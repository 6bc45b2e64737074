// The rest of a real stack: a compose.yaml the user already has in the mesh directory, merged
// after the generated stack as `docker compose -f .mesh/compose.yaml -f compose.yaml` merges.
// Its `db` service (a Postgres-like TCP server on 5432, on the node image) runs unmeshed beside
// the mesh; an app reaches it by name through its sidecar's passthrough; the file's override of
// a generated service (an extra environment variable) applies; mesh down removes it too.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { cleanUp, copyExample, counter, docker, engine, leftovers, mesh, nodeInStack, type Example } from './harness.ts';

let example: Example | undefined;

const DB_SERVER = "require('net').createServer((s) => s.end('pong from db\\n')).listen(5432)";

beforeAll(async () => {
  example = await copyExample('canary', 'usercompose');
  await writeFile(
    join(example.dir, 'compose.yaml'),
    [
      '# The user\'s own Compose file: a database beside the mesh, and an override of a generated service.',
      'services:',
      '  db:',
      `    image: ${defaultImages().node}`,
      `    command: ["node", "-e", ${JSON.stringify(DB_SERVER)}]`,
      '  reviews-v1:',
      '    environment:',
      '      DATABASE_URL: postgres://db:5432/reviews',
      '',
    ].join('\n'),
  );
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
  expect(up.stdout).toContain('with ');
}, 240_000);
afterAll(() => cleanUp(example), 120_000);

describe("a mesh directory with the user's compose.yaml", () => {
  it('validates: compose.yaml is not read as mesh YAML', async () => {
    const validate = await mesh('validate', example!.dir);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  });

  it("runs its db service unmeshed beside the mesh; the app reaches it by name through its sidecar's passthrough", async () => {
    const db = (await engine.stackContainers(example!.project)).find((c) => c.service === 'db');
    expect(db?.state).toBe('running');
    expect(db?.labels['dev.localmesh.role']).toBeUndefined();
    const before = await counter(example!.project, 'reviews-v1-proxy', 'cluster.PassthroughCluster.upstream_cx_total');
    const answer = await nodeInStack(
      example!.project,
      "const s = require('net').connect(5432, 'db'); s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => { console.error(String(e)); process.exit(1); })",
      'reviews-v1',
    );
    expect(answer).toBe('pong from db\n');
    const after = await counter(example!.project, 'reviews-v1-proxy', 'cluster.PassthroughCluster.upstream_cx_total');
    expect(after - before).toBeGreaterThanOrEqual(1);
  });

  it("its override of a generated service applies, and the generated settings stay", async () => {
    const app = (await engine.stackContainers(example!.project)).find((c) => c.service === 'reviews-v1')!;
    const env = (await docker.getContainer(app.id).inspect()).Config.Env;
    expect(env).toContain('DATABASE_URL=postgres://db:5432/reviews');
    expect(env).toContain('VERSION=v1');
  });

  it('mesh down removes its services too', async () => {
    const down = await mesh('down', example!.dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await leftovers(example!.project)).toEqual([]);
  });
});
