// The mesh command as a user runs it: a real child process, its output and exit code.
import { mkdtemp, readdir, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../helpers/envoy.ts';
import { mesh } from '../integration/process/harness.ts';

const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-cli-'));
  temps.push(dir);
  return dir;
}

describe('mesh', () => {
  it('prints help and version', async () => {
    const help = await mesh('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('validate [DIR]');
    const version = await mesh('--version');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const sub = await mesh('validate', '--help');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Exit codes');
  });

  it('exits 2 with a sentence on a usage mistake', async () => {
    const unknown = await mesh('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const flag = await mesh('validate', '--jsn');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--jsn'");
    const missing = await mesh('generate', 'examples/canary');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs --out OUT');
  });

  it('validates the examples', async () => {
    for (const example of ['examples/canary', 'examples/shop']) {
      const result = await mesh('validate', example);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`${example}: valid`);
    }
  });

  it('exits 1 and names the file, line and column of a mistake', async () => {
    const dir = await tempDir();
    await cp('examples/canary', dir, { recursive: true });
    const path = join(dir, 'reviews.yaml');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('subset: v2', 'subset: v3'));
    const result = await mesh('validate', dir);
    expect(result.code).toBe(1);
    const line = text.split('\n').findIndex((l) => l.includes('subset: v2')) + 1;
    expect(result.stderr).toMatch(new RegExp(`${path}:${line}:\\d+: error: .*v3`));
    const json = await mesh('validate', dir, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.valid).toBe(false);
    expect(report.diagnostics[0]).toMatchObject({ file: path, line, severity: 'error' });
  });

  it('mesh canary DIR [NAME] runs a Canary document: the one there, or the one named; a wrong one is reported at its field', async () => {
    const dir = await tempDir();
    await cp('examples/canary', dir, { recursive: true });
    const path = join(dir, 'canary.yaml');
    const text = await readFile(path, 'utf8');
    // One document: mesh canary DIR takes it, and asks for the mesh that runs it by its name.
    const one = await mesh('canary', dir, '--interval', '2s');
    expect(one.code, one.stderr).toBe(1);
    expect(one.stderr).toContain(`no mesh runs in ${dir}`);
    // A flag overrides the document's field: --to v1 makes it a canary from v1 to v1.
    const same = await mesh('canary', dir, '--to', 'v1');
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('--from and --to are both v1');
    // Two: mesh canary DIR needs the name; a name that is no document is a HOST, which needs --to.
    await writeFile(join(dir, 'other.yaml'), text.replace('name: reviews-v2', 'name: reviews-back').replace('from: v1\n  to: v2', 'from: v2\n  to: v1'));
    const two = await mesh('canary', dir);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`${dir} holds several Canary documents (reviews-v2, reviews-back): name one, as in mesh canary ${dir} reviews-v2.`);
    const named = await mesh('canary', dir, 'reviews-back');
    expect(named.code, named.stderr).toBe(1);
    expect(named.stderr).toContain(`no mesh runs in ${dir}`);
    const host = await mesh('canary', dir, 'reviews-v3');
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('needs --to SUBSET');
    // A subset no DestinationRule defines: validate and canary point at the field.
    await writeFile(path, text.replace('to: v2', 'to: v3'));
    const line = text.split('\n').findIndex((l) => l.includes('to: v2')) + 1;
    const invalid = await mesh('validate', dir);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(`${path}:${line}:7: error: subset 'v3' is not defined by DestinationRule reviews for reviews\n  hint: a canary moves traffic between subsets`);
    const refused = await mesh('canary', dir, 'reviews-v2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${path}:${line}:7: error: subset 'v3'`);
  });

  it("mesh validate --analyze: Istio's findings with their codes, as text and JSON; errors exit 1", async () => {
    const dir = 'test/fixtures/analyze';
    const plain = await mesh('validate', dir);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain('[IST');
    const run = await mesh('validate', dir, '--analyze');
    expect(run.code).toBe(1);
    const coded = run.stderr.split('\n').filter((l) => l.includes('[IST'));
    expect(coded).toEqual([
      `${dir}/gateways.yaml:8:20: error [IST0145] Conflict with gateways default/internal (workload selector istio=ingressgateway, port 80, hosts *).`,
      `${dir}/gateways.yaml:17:20: error [IST0145] Conflict with gateways default/public (workload selector istio=ingressgateway, port 80, hosts *).`,
      `${dir}/routes.yaml:8:20: error [IST0112] This VirtualService routes to a service "ratings" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.`,
      `${dir}/mesh.yaml:22:5: warning [IST0107] Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod`,
      `${dir}/mesh.yaml:37:9: warning [IST0108] Unknown annotation: sidecar.istio.io/proxyCPUs`,
      `${dir}/routes.yaml:16:11: warning [IST0128] DestinationRule reviews in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: reviews`,
      `${dir}/routes.yaml:19:12: warning [IST0173] subset 'v3' selects no version of reviews (labels version=v3), so traffic sent to it fails`,
    ]);
    expect(run.stderr).toContain('  hint: did you mean sidecar.istio.io/proxyCPU?');
    expect(run.stderr).toContain(`${dir}: invalid (3 errors, 5 warnings)`);
    const json = await mesh('validate', dir, '--analyze', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { valid: boolean; diagnostics: Array<{ code?: string }> };
    expect(report.valid).toBe(false);
    expect(report.diagnostics.flatMap((d) => d.code ?? [])).toEqual(['IST0145', 'IST0145', 'IST0112', 'IST0107', 'IST0108', 'IST0128', 'IST0173']);
    // The examples: nothing for the canary and the shop; Istio's bookinfo rules name subsets of versions it does not run.
    for (const example of ['examples/canary', 'examples/shop']) {
      const clean = await mesh('validate', example, '--analyze');
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stderr).not.toContain('[IST');
    }
    const bookinfo = await mesh('validate', 'test/fixtures/istio/bookinfo', '--analyze');
    expect(bookinfo.code, bookinfo.stderr).toBe(0);
    expect(bookinfo.stderr.match(/\[IST\d+\]/g)).toEqual(['[IST0173]', '[IST0173]', '[IST0173]', '[IST0173]']);
  });

  it('reports a file saved mid-edit (`: -`, `&!{}`) as a diagnostic, not a crash', async () => {
    const dir = await tempDir();
    await cp('examples/canary', dir, { recursive: true });
    const path = join(dir, 'bad.yaml');
    for (const [text, message] of [
      [': -\n', 'Unexpected block-seq-ind on same line with key'],
      ['&!{}\n', 'Tags and anchors must be separated from the next token by white space'],
    ] as const) {
      await writeFile(path, text);
      const result = await mesh('validate', dir);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(`${path}:1:3: error: ${message}\n${dir}: invalid (1 error, 0 warnings)\n`);
    }
  });

  it('says so when the directory does not exist', async () => {
    const result = await mesh('validate', 'no/such/dir');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no/such/dir');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('generates one Envoy configuration per proxy that Envoy accepts', async () => {
    const out = await tempDir();
    const result = await mesh('generate', 'examples/shop', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const files = (await readdir(join(out, 'envoy'))).sort();
    expect(files).toEqual(['cart-v1.json', 'catalog-v1.json', 'frontend-v1.json', 'mesh-gateway.json', 'pricing-v1.json', 'pricing-v2.json']);
    for (const file of files) await validateConfig(JSON.parse(await readFile(join(out, 'envoy', file), 'utf8')));
  });
});
