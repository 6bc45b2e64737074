// One way to name the mesh for every command: DIR as the first argument or --dir DIR (default:
// the current directory); argument mistakes as sentences with a hint; a folder that holds no
// mesh, or several in folders of their own, said so instead of a page of diagnostics.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh, meshIn } from '../integration/process/harness.ts';

const REPO = new URL('../../', import.meta.url).pathname;
let root = '';
let empty = '';
let canary = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'localmesh-dir-'));
  empty = join(root, 'empty');
  canary = join(root, 'canary');
  await cp(join(REPO, 'examples/canary'), canary, { recursive: true });
  await cp(join(REPO, 'examples/canary'), empty, { filter: (src) => !src.endsWith('.yaml') && !src.endsWith('.yml'), recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const lines = (text: string) => text.trimEnd().split('\n').length;

describe('DIR first or --dir DIR', () => {
  it('status, down, doctor, generate and validate take either', async () => {
    for (const args of [['status', canary], ['status', '--dir', canary], ['status', `--dir=${canary}`]]) {
      const out = await mesh(...args);
      expect(out.stderr, args.join(' ')).toBe('');
      expect(out.stdout).toContain(`Nothing runs for ${canary}`);
    }
    for (const args of [['down', canary], ['down', '--dir', canary]]) {
      const out = await mesh(...args);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain(`Nothing runs for ${canary}: no mesh that mesh up started there is running`);
      expect(out.stdout).not.toContain('state.json');
    }
    const validate = await mesh('validate', '--dir', canary);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain(`${canary}: valid`);
    const out = join(root, 'out');
    expect((await mesh('generate', '--dir', canary, '--out', out)).code).toBe(0);
  });

  it('the commands with arguments of their own take DIR first, or --dir DIR anywhere', async () => {
    const first = await mesh('weight', canary, 'reviews', 'v1=80', 'v2=20');
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(join(canary, 'reviews.yaml'), 'utf8')).toMatch(/weight: 80/);
    const flag = await mesh('weight', 'reviews', 'v1=90', 'v2=10', '--dir', canary);
    expect(flag.code, flag.stderr).toBe(0);
    expect(await readFile(join(canary, 'reviews.yaml'), 'utf8')).toMatch(/weight: 90/);

    // mesh load DIR: the gateway of the mesh in DIR, not a URL named "examples/canary".
    const load = await mesh('load', canary);
    expect(load.code).toBe(1);
    expect(load.stderr).not.toContain('Invalid URL');
    expect(load.stderr).toContain(`no URL given, and no mesh runs in ${canary}`);

    const logs = await mesh('logs', canary, 'reviews-v1');
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(`no mesh runs in ${canary}, and no logs of an earlier run are in ${canary}/.mesh/process/logs`);
  });

  it('mistakes in naming it are sentences with a hint', async () => {
    const two = await mesh('status', canary, '--dir', empty);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`Two directories given, ${canary} and --dir ${empty}; name the mesh once.`);
    const missing = await mesh('status', join(root, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(root, 'nope')} is not a directory; DIR names the folder of a mesh's YAML files`);
    const typo = await mesh('logs', 'exmples/canary', 'reviews');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('exmples/canary is not a directory; mesh logs takes the mesh directory first.');
    const noValue = await mesh('status', '--dir');
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/^mesh status: --dir needs a value: --dir DIR\.$/m);
    const unknown = await mesh('status', '--jsno');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mesh status: Unknown option '--jsno'; did you mean --json\? mesh status takes --dir, --json, -h\/--help, -v\/--version\.$/m);
    expect(unknown.stderr).toContain('Usage: mesh status [DIR] [--json]');
    expect(unknown.stderr).not.toContain("place it at the end of the command after '--'");
    const command = await mesh('stauts');
    expect(command.stderr).toContain("unknown command 'stauts'; did you mean mesh status?");
  });
});

describe('a folder that is not one mesh', () => {
  it('mesh up in the checkout (meshes in examples/ and fixtures) names them and how to run one', async () => {
    const up = await meshIn(REPO, 'up', '--runtime', 'process');
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/^mesh up: \. is not one mesh: \d+ folders in it hold a Mesh document each \(examples\/canary, examples\/shop, .*\)\. Name one of them: mesh up examples\/canary$/m);
    expect(lines(up.stderr)).toBe(1);
    expect(up.stdout).toBe('');
  });

  it('mesh up where there is no Mesh document says so and shows one to start from', async () => {
    await writeFile(join(empty, 'notes.yaml'), 'todo: [write the mesh]\n');
    const up = await meshIn(empty, 'up', '--runtime', 'process');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('mesh up: There is no mesh in .: none of its 1 YAML files is a Mesh document (kind: Mesh)');
    expect(up.stderr).toContain('mesh up examples/canary');
    expect(up.stderr).toMatch(/^ {4}kind: Mesh$/m);
    expect(up.stderr).not.toContain('error:');
    const weight = await meshIn(empty, 'weight', 'reviews', 'v1=100');
    expect(weight.code).toBe(1);
    expect(weight.stderr).toContain('There is no mesh in .');
  });
});

describe('mesh up --help', () => {
  it("says what a version's command means for image/build versions on Compose, and what Ctrl-C does during start-up", async () => {
    const help = (await mesh('up', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain("command is Compose's: it replaces the image's CMD and keeps its ENTRYPOINT; it runs in the image's WORKDIR");
    expect(help).toContain('A build: context is built again by mesh up when its files, Dockerfile or args changed since the last build');
    expect(help).toContain('A healthcheck: is not run');
    expect(help).toContain('Until the mesh is up (with -d too, until mesh up -d returns), Ctrl-C stops what it had started, says so and exits 130.');
  });
});
