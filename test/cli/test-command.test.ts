// `mesh test` as a user runs it: examples/shop's route tests pass with no Envoy and no Docker,
// a wrong expectation fails at its FILE:LINE:COL, mistakes in a test file are reported where
// they are, and the mesh loader leaves *.test.yaml files alone.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMesh } from '../../src/config/index.ts';
import { mesh, meshWith } from '../integration/process/harness.ts';

const SHOP = new URL('../../examples/shop/', import.meta.url).pathname;
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** examples/shop copied, with `tests` as its only route test file. */
async function shopWith(tests: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-test-'));
  temps.push(dir);
  await cp(SHOP, dir, { recursive: true });
  await writeFile(join(dir, 'routes.test.yaml'), tests);
  return dir;
}

const HEAD = 'apiVersion: localmesh.dev/v1alpha1\nkind: RouteTest\nmetadata: { name: t }\nspec:\n  tests:\n';

describe('mesh test', () => {
  it('passes every route of examples/shop, with no Envoy on the PATH and no Docker', async () => {
    const run = await meshWith({ env: { ENVOY_BIN: '/nonexistent/envoy', PATH: '/usr/bin:/bin', DOCKER_HOST: 'unix:///nonexistent.sock' } }, 'test', 'examples/shop');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('8 tests: 8 passed, 0 failed');
    expect(run.stdout).toMatch(/PASS +testers get the new pricing +examples\/shop\/routes\.test\.yaml:29:7 +→ pricing\/v2\/9080/);
    expect(run.stdout).toContain('301 redirect to http://localhost/');
  });

  it('a wrong expectation fails at its line and column, and the others still pass (exit 1)', async () => {
    const dir = await shopWith(
      HEAD +
        '    - name: testers get v2\n' +
        '      request: { source: catalog, host: pricing, headers: { end-user: tester } }\n' +
        '      expect: { destination: pricing/v2 }\n' +
        '    - name: wrong on purpose\n' +
        '      request: { source: catalog, host: pricing }\n' +
        '      expect:\n' +
        '        route: default\n' +
        '        destination: pricing/v2\n' +
        '        timeout: 3s\n',
    );
    const run = await mesh('test', dir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const file = join(dir, 'routes.test.yaml');
    expect(run.stdout).toMatch(/PASS +testers get v2/);
    expect(run.stdout).toContain(`FAIL    wrong on purpose  ${file}:13:22  expected pricing/v2, the proxy routes → pricing/v1/9080`);
    expect(run.stdout).toContain(`${file}:14:18  expected timeout 3s, the route has none`);
    expect(run.stdout).toContain('2 tests: 1 passed, 1 failed');

    const json = await mesh('test', dir, '--json');
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { passed: number; failed: number; tests: Array<{ passed: boolean; failures: Array<{ at: string; expectation: string }> }> };
    expect(body).toMatchObject({ passed: 1, failed: 1 });
    expect(body.tests[1]!.failures.map((f) => [f.expectation, f.at])).toEqual([
      ['destination', `${file}:13:22`],
      ['timeout', `${file}:14:18`],
    ]);
  });

  it('a source without a version is checked from each of its versions', async () => {
    const dir = await shopWith(HEAD + '    - request: { source: pricing, host: cart }\n      expect: { status: 200 }\n');
    const run = await mesh('test', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("the proxy forwards (→ cart//9080): the status is the app's (from pricing-v1)");
    expect(run.stdout).toContain('(from pricing-v2)');
  });

  it('a mistake in a test file is reported at FILE:LINE:COL with exit 2', async () => {
    const typo = await shopWith(HEAD + '    - request: { source: catalog, host: pricing }\n      expect: { destnation: pricing/v1 }\n');
    const run = await mesh('test', typo);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(typo, 'routes.test.yaml')}:7:17: error: unknown field 'destnation' in RouteTest spec.tests[0].expect; did you mean 'destination'?`);

    const source = await shopWith(HEAD + '    - request: { source: checkout, host: pricing }\n      expect: { destination: pricing }\n');
    const unknown = await mesh('test', source);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain(`${join(source, 'routes.test.yaml')}:6:26  no service 'checkout' to send from`);

    const kind = await shopWith('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hosts: [x]}\n');
    const wrongKind = await mesh('test', kind);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toContain('a route test file holds RouteTest documents, not VirtualService');
  });

  it('an invalid mesh or no test file is exit 2; files can be named', async () => {
    const dir = await shopWith(HEAD + '    - request: { source: gateway, host: x }\n      expect: { destination: frontend }\n');
    await writeFile(join(dir, 'routes.test.yaml'), '');
    const none = await mesh('test', dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('holds no tests');
    const named = await mesh('test', dir, join(SHOP, 'routes.test.yaml'));
    expect(named.code, named.stdout + named.stderr).toBe(0);
    await writeFile(join(dir, 'mesh.yaml'), (await readFile(join(dir, 'mesh.yaml'), 'utf8')).replace('frontend:', 'frontend: 3\n    x:'));
    const invalid = await mesh('test', dir);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('the mesh is invalid');
  });

  it('--live needs a mesh running on the process runtime (exit 2 with the sentence)', async () => {
    const dir = await shopWith(HEAD + '    - request: { source: gateway, host: x }\n      expect: { destination: frontend }\n');
    const run = await mesh('test', dir, '--live');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`mesh test --live: no mesh runs in ${dir}`);
  });

  it('the mesh loader leaves route test files out: examples/shop validates with its routes.test.yaml', async () => {
    const { model, diagnostics } = await loadMesh(SHOP);
    expect(diagnostics).toEqual([]);
    expect(model?.virtualServices.map((v) => v.name)).toEqual(['cart', 'frontend', 'pricing']);
  });
});
