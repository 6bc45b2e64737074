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
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram, type Run } from '../helpers/run.ts';
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

let tools: Promise<Run> | undefined;
/** scripts/export-check DIR with the validators as built: a test fails (never skips) when they are missing. */
async function exportCheck(dir: string): Promise<Run> {
  const ready = await (tools ??= runProgram('scripts/export-tools/install', ['--check']));
  expect(ready.code, `${ready.stderr}the validators are not built: run scripts/export-tools/install (scripts/test does)`).toBe(0);
  return runProgram('scripts/export-check', ['--no-build', dir], { timeout: 120_000 });
}

/** A mesh in a namespace of its own, with HTTP/2, gRPC and TCP ports and a split: their protocols must survive the port names. */
async function protocolsMesh(): Promise<string> {
  const dir = join(await temp('protocols'), 'protocols');
  await mkdir(dir);
  await writeFile(join(dir, 'mesh.yaml'), `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: protocols, namespace: shop }
spec:
  services:
    api:
      labels: { team: a }
      ports: [{ port: 8080 }, { port: 8081, protocol: http2, name: h2 }, { port: 9090, protocol: grpc, name: grpc-api }, { port: 5432, protocol: tcp }]
      versions:
        v1: { image: api:1, replicas: 2, healthcheck: { path: /ready, interval: 2s } }
        v2: { image: api:2, env: { MODE: canary, WORKERS: 4 } }
    web:
      ports: [{ port: 80 }]
      versions:
        v1: { image: web:1 }
`);
  await writeFile(join(dir, 'routes.yaml'), `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: shop }
spec:
  hosts: [api]
  http:
    - match: [{ port: 8080 }]
      route:
        - { destination: { host: api, subset: v1 }, weight: 75 }
        - { destination: { host: api, subset: v2 }, weight: 25 }
  tcp:
    - match: [{ port: 5432 }]
      route: [{ destination: { host: api, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api, namespace: shop }
spec:
  host: api
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`);
  return dir;
}

const DIRS = ['examples/canary', 'examples/shop', 'test/fixtures/istio/bookinfo'];
/** Meshes made in a temporary folder for the test, by name. */
const MADE: Record<string, () => Promise<string>> = { 'bookinfo as a Mesh': bookinfoMesh, 'HTTP/2, gRPC and TCP ports in namespace shop': protocolsMesh };
const ALL = [...DIRS, ...Object.keys(MADE)];
const meshDirOf = (name: string) => (MADE[name] ? MADE[name]() : Promise.resolve(name));

describe('mesh export kubernetes, checked by kubeconform and istioctl analyze', () => {

  // Resources in each export: canary's Namespace, ServiceAccount, Service, 2 Deployments and its 3 Istio
  // resources; Istio's bookinfo: its Namespace, bookinfo.yaml's 14 (copied) and 7 Istio resources;
  // bookinfo as a Mesh: a Namespace, 4 × (ServiceAccount, Service), 6 Deployments and 7 Istio resources;
  // the protocols: a Namespace, 2 × (ServiceAccount, Service), 3 Deployments, 2 Istio resources.
  const RESOURCES: Record<string, number> = { 'examples/canary': 8, 'examples/shop': 19, 'test/fixtures/istio/bookinfo': 22, 'bookinfo as a Mesh': 22, 'HTTP/2, gRPC and TCP ports in namespace shop': 10 };

  for (const dir of ALL) {
    it(`${dir}: all ${RESOURCES[dir]} resources valid, no Istio error or warning`, async () => {
      const meshDir = await meshDirOf(dir);
      const result = await exportCheck(meshDir);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code, output).toBe(0);
      expect(output).toMatch(new RegExp(`Summary: ${RESOURCES[dir]} resources found in \\d+ files - Valid: ${RESOURCES[dir]}, Invalid: 0, Errors: 0, Skipped: 0`));
      expect(output).toContain('✔ No validation issues found when analyzing');
    }, 120_000);
  }

  /** A copy of examples/canary with `change` applied to its files. */
  async function canaryWith(change: (files: Map<string, string>) => void): Promise<string> {
    const dir = await temp('bad');
    const files = new Map<string, string>();
    for (const f of await readdir('examples/canary')) if (f.endsWith('.yaml')) files.set(f, await readFile(join('examples/canary', f), 'utf8'));
    change(files);
    for (const [f, text] of files) await writeFile(join(dir, f), text);
    return dir;
  }

  it('fails on a field Kubernetes does not know (kubeconform)', async () => {
    // localmesh reads a ConfigMap and reports it (it changes no traffic), copies it as written; Kubernetes refuses the misspelt field.
    const dir = await canaryWith((files) => files.set('settings.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndat: { MODE: prod }\n'));
    const result = await exportCheck(dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/ConfigMap settings is invalid.*additional properties 'dat' not allowed/);
  }, 120_000);

  it('fails on what Istio warns about (istioctl analyze: a VirtualService host its Gateway does not serve)', async () => {
    const dir = await canaryWith((files) => {
      files.set('gateway.yaml', files.get('gateway.yaml')!.replace('- "*"', '- "shop.example.com"'));
      files.set('reviews.yaml', files.get('reviews.yaml')!.replace('- "*"', '- "books.example.com"'));
    });
    const result = await exportCheck(dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/Warning \[IST0132\] \(VirtualService default\/reviews .*reviews\.yaml:9\) one or more host \[books\.example\.com\]/);
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
  for (const dir of ALL) {
    it(`${dir}: the export, read back, compiles to the same Envoy configuration`, async () => {
      const meshDir = await meshDirOf(dir);
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
