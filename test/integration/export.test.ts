// `mesh export kubernetes` checked by real validators and by a round trip:
// - kubeconform (strict, Kubernetes' schemas and Istio's CRDs) and `istioctl analyze
//   --use-kube=false` accept the export of examples/canary, examples/shop, Istio's bookinfo
//   (Kubernetes kinds, copied) and bookinfo as a Mesh document (generated), through
//   scripts/export-check. The validators are built by scripts/export-tools/install, which
//   scripts/test runs first: missing, this test fails (it never skips).
// - The export, read back as a mesh directory, compiles to the same Envoy configuration as the
//   mesh it came from (`mesh generate` of both, byte for byte). What does not round-trip does
//   not reach Envoy: the mesh's name and settings (published gateway ports, images, Compose
//   files), an image to build (a placeholder tag) and a command-only app's files.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/run.ts';
import { mesh } from './process/harness.ts';

const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
const temp = async (name: string) => {
  const dir = await mkdtemp(join(tmpdir(), `localmesh-export-${name}-`));
  temps.push(dir);
  return dir;
};

/** Bookinfo's workloads as a Mesh document, beside Istio's own files for them. */
async function bookinfoMesh(): Promise<string> {
  const dir = join(await temp('bookinfo'), 'bookinfo');
  await mkdir(dir);
  const from = 'test/fixtures/bookinfo';
  for (const file of ['mesh.yaml', 'v1/bookinfo-gateway.yaml', 'v1/destination-rule-all.yaml', 'v1/virtual-service-reviews-80-20.yaml']) {
    await copyFile(join(from, file), join(dir, file.split('/').pop()!));
  }
  return dir;
}

const DIRS = ['examples/canary', 'examples/shop', 'test/fixtures/istio/bookinfo'];

describe('mesh export kubernetes, checked by kubeconform and istioctl analyze', () => {
  beforeAll(() => {
    expect(existsSync('.cache/export-tools.json'), 'the validators are not built: run scripts/export-tools/install (scripts/test does)').toBe(true);
  });

  for (const dir of [...DIRS, 'bookinfo as a Mesh']) {
    it(`${dir}: every resource valid, no Istio error or warning`, async () => {
      const meshDir = dir === 'bookinfo as a Mesh' ? await bookinfoMesh() : dir;
      const result = await runProgram('scripts/export-check', ['--no-build', meshDir], { timeout: 120_000 });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code, output).toBe(0);
      expect(output).toMatch(/Summary: (\d+) resources found in (\d+) files - Valid: \1, Invalid: 0, Errors: 0, Skipped: 0/);
      expect(output).toContain('✔ No validation issues found when analyzing');
    }, 120_000);
  }

  it('fails on what the validators refuse (a field Kubernetes does not know, a route to an unknown gateway)', async () => {
    const dir = await temp('bad');
    for (const f of await readdir('examples/canary')) if (f.endsWith('.yaml')) await copyFile(join('examples/canary', f), join(dir, f));
    // Valid for localmesh (a user's Kubernetes Service is copied as written), not for Kubernetes.
    await writeFile(join(dir, 'extra.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: extra }\nspec:\n  selector: { app: reviews, version: none }\n  ports: [{ name: http, port: 80, targetPort: 9080, nodePrt: 3 }]\n');
    const result = await runProgram('scripts/export-check', ['--no-build', dir], { timeout: 120_000 });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/Service extra is invalid.*additional properties 'nodePrt' not allowed/);
  }, 120_000);
});

/** `mesh generate DIR` → the Envoy configuration of each proxy, by file name. */
async function generated(dir: string): Promise<Map<string, string>> {
  const out = await temp('generate');
  const result = await mesh('generate', dir, '--out', out);
  expect(result.code, result.stderr).toBe(0);
  const files = (await readdir(join(out, 'envoy'))).sort();
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(out, 'envoy', f), 'utf8')] as const)));
}

describe('mesh export kubernetes: the round trip', () => {
  for (const dir of [...DIRS, 'bookinfo as a Mesh']) {
    it(`${dir}: the export, read back, compiles to the same Envoy configuration`, async () => {
      const meshDir = dir === 'bookinfo as a Mesh' ? await bookinfoMesh() : dir;
      const out = join(await temp('out'), 'k8s');
      const exported = await mesh('export', 'kubernetes', meshDir, '--out', out);
      expect(exported.code, exported.stderr).toBe(0);
      const [before, after] = [await generated(meshDir), await generated(out)];
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [file, config] of before) expect(after.get(file), file).toBe(config);
    }, 60_000);
  }
});

describe('mesh export: the command', () => {
  it('exits 2 with a sentence when the target or --out is missing or wrong', async () => {
    const none = await mesh('export', '--out', 'x');
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('mesh export needs what to export to first: kubernetes.')]);
    const wrong = await mesh('export', 'helm', 'examples/canary', '--out', 'x');
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining("mesh export knows kubernetes, not 'helm'.")]);
    const out = await mesh('export', 'kubernetes', 'examples/canary');
    expect([out.code, out.stderr]).toEqual([2, expect.stringContaining('mesh export needs --out OUT')]);
  });

  it('replaces an earlier export but never a folder that holds something else', async () => {
    const out = await temp('again');
    await writeFile(join(out, 'notes.txt'), 'mine');
    const refused = await mesh('export', 'kubernetes', 'examples/canary', '--out', out);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining(`${out} is not empty and holds no earlier export (namespaces.yaml)`)]);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    const fresh = join(out, 'k8s');
    expect((await mesh('export', 'kubernetes', 'examples/shop', '--out', fresh)).code).toBe(0);
    const again = await mesh('export', 'kubernetes', 'examples/canary', '--out', fresh);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Wrote 4 files to ${fresh}/`);
    expect((await readdir(fresh, { recursive: true })).sort()).toEqual(['gateway.yaml', 'namespaces.yaml', 'reviews.yaml', 'workloads', 'workloads/reviews.default.yaml']);
  });
});
