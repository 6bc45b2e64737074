import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMesh, loadMeshFromSources } from '../../../src/config/index.ts';
import { parseSources, readMeshDir } from '../../../src/config/load.ts';
import { diagnostics, hints, load, MESH, REVIEWS_RULE } from './fixtures.ts';

describe('parseSources', () => {
  it('splits a multi-document file and skips empty documents', () => {
    const { documents, diagnostics: found } = parseSources([
      { path: 'all.yaml', text: `---\n${MESH}---\n# only a comment\n---\n${REVIEWS_RULE}---\n` },
    ]);
    expect(found).toEqual([]);
    expect(documents.map((d) => (d.value as { kind: string }).kind)).toEqual(['Mesh', 'DestinationRule']);
  });

  it('records where each resource and service is written (positions are found when first read)', () => {
    const text = `${MESH}---\n# the rule\n${REVIEWS_RULE}`;
    const { model } = loadMeshFromSources([{ path: 'all.yaml', text }]);
    const ruleLine = text.split('\n').indexOf('# the rule') + 2;
    expect(model?.destinationRules[0]?.source).toEqual({ file: 'all.yaml', line: ruleLine, col: 1 });
    const reviewsLine = text.split('\n').findIndex((l) => l.trim().startsWith('reviews:')) + 1;
    expect(model?.services.find((s) => s.name === 'reviews')?.source.line).toBe(reviewsLine);
  });

  it('reports a YAML syntax error at its line and column', () => {
    expect(diagnostics({ 'vs.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec: {hosts: [reviews}\n' })).toContain(
      'vs.yaml:3:23 error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('reports a duplicate key at the second key', () => {
    const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  host: ratings\n';
    expect(diagnostics({ 'dr.yaml': text })).toEqual([
      'dr.yaml:6:3 error: Map keys must be unique; a key may appear once in a mapping',
    ]);
  });
});

describe('readMeshDir and loadMesh', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function meshDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'localmesh-config-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return relative(process.cwd(), dir);
  }

  it('reads *.yaml and *.yml recursively, sorted, skipping dot-directories and node_modules', async () => {
    const dir = await meshDir({
      'mesh.yaml': MESH,
      'rules/reviews.yml': REVIEWS_RULE,
      'a.txt': 'not yaml',
      '.mesh/compose.yaml': 'services: {}',
      'node_modules/x/y.yaml': 'x: 1',
    });
    const files = await readMeshDir(dir);
    expect(files.map((f) => f.path)).toEqual([join(dir, 'mesh.yaml'), join(dir, 'rules/reviews.yml')]);
    const { model, diagnostics: found } = await loadMesh(dir);
    expect(found).toEqual([]);
    expect(model!.destinationRules[0]!.source).toEqual({ file: join(dir, 'rules/reviews.yml'), line: 1, col: 1 });
  });

  it('with `stat`, gives each file the stat of the inode its text was read from (the control plane compares them)', async () => {
    const dir = await meshDir({ 'mesh.yaml': MESH });
    const [file] = await readMeshDir(dir, { stat: true });
    const disk = await stat(join(dir, 'mesh.yaml'), { bigint: true });
    expect(file).toEqual({ path: join(dir, 'mesh.yaml'), text: MESH, stat: { dev: disk.dev, ino: disk.ino, size: disk.size, mtimeNs: disk.mtimeNs, ctimeNs: disk.ctimeNs } });
    expect(await readMeshDir(dir)).toEqual([{ path: join(dir, 'mesh.yaml'), text: MESH }]);
  });

  it('names files with the directory as the user typed it', async () => {
    const dir = await meshDir({ 'mesh.yaml': MESH, 'vs.yaml': 'kind: VirtualServce\n' });
    const { diagnostics: found } = await loadMesh(dir);
    expect(found[0]).toMatchObject({ file: join(dir, 'vs.yaml'), line: 1, col: 7 });
  });

  it('reports a missing Mesh against the directory', async () => {
    const dir = await meshDir({ 'dr.yaml': REVIEWS_RULE });
    const { diagnostics: found } = await loadMesh(dir);
    expect(found.map((d) => [d.file, d.line, d.message])).toEqual([
      [dir, 0, 'no Mesh document and no Kubernetes Service: a mesh directory declares its services in one Mesh, or as Services and the Deployments they select'],
    ]);
  });

  it('reports a directory without YAML files', async () => {
    const dir = await meshDir({ 'README.md': '# nothing' });
    expect((await loadMesh(dir)).diagnostics).toEqual([
      { file: dir, line: 0, col: 0, severity: 'error', message: `no .yaml or .yml files in ${dir}` },
    ]);
  });
});

describe('YAML aliases', () => {
  it('reports an alias to an anchor that is not defined before it', () => {
    expect(diagnostics({ 'x.yaml': 'a: *b\n' })).toEqual([
      'x.yaml:1:1 error: Unresolved alias (the anchor must be set before the alias): b',
    ]);
  });

  it('reports an alias inside the node it refers to, at the alias', () => {
    // VirtualService keeps unknown top-level fields (Istio's own YAML may carry any), so a cycle there reached the checks.
    const text = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec: {hosts: [reviews]}\nnotes: &n {again: *n}\n`;
    expect(diagnostics({ 'vs.yaml': text })).toEqual([
      "vs.yaml:5:19 error: alias *n refers to a node that contains it: the value would never end",
    ]);
    expect(diagnostics({ 'vs.yaml': '&d\nkind: VirtualService\nself: *d\n' })).toEqual([
      "vs.yaml:3:7 error: alias *d refers to a node that contains it: the value would never end",
    ]);
  });

  it('reports aliases that expand to too much (a "billion laughs") at once, at the first alias', () => {
    const levels = Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`);
    const text = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec: {hosts: [reviews]}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n${levels.join('\n')}\n`;
    const started = performance.now();
    expect(diagnostics({ 'vs.yaml': text })).toEqual([
      'vs.yaml:6:10 error: aliases in this document repeat more than 100000 values',
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
    // A few aliases, as people use them, are fine.
    const shared = `${REVIEWS_RULE.replace('{version: v1}', '&v1 {version: v1}')}  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n`;
    expect(diagnostics({ 'dr.yaml': shared })).toEqual([]);
  });
});

describe('a file saved half-way through an edit', () => {
  // js-yaml (the fast path) reads these; the positioned parser rejects them, and its verdict stands.
  it('reports `: -` and `&!{}` as syntax errors where they are, and only them', () => {
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE, 'bad.yaml': ': -\n' })).toEqual([
      'bad.yaml:1:3 error: Unexpected block-seq-ind on same line with key',
    ]);
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE, 'bad.yaml': '&!{}\n' })).toEqual([
      'bad.yaml:1:3 error: Tags and anchors must be separated from the next token by white space',
    ]);
  });

  it('reports a mid-edit line inside a resource at that line', () => {
    const text = readFileSync('test/fixtures/robust/mid-edit-reviews.yaml', 'utf8');
    const line = text.split('\n').indexOf(': -') + 1;
    expect(diagnostics({ 'reviews.yaml': text })[0]).toBe(`reviews.yaml:${line}:3 error: Unexpected block-seq-ind on same line with key`);
  });

  it('keeps the positions of the other documents of the file', () => {
    const text = `${REVIEWS_RULE}---\n: -\n`;
    expect(diagnostics({ 'dr.yaml': text })).toEqual([`dr.yaml:${text.split('\n').indexOf(': -') + 1}:3 error: Unexpected block-seq-ind on same line with key`]);
    const ratings = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ratings}\nspec: {host: ratings}\n';
    const valid = `${REVIEWS_RULE}---\n# nothing\n---\n${ratings}`;
    const { model } = load({ 'dr.yaml': valid });
    expect(model?.destinationRules.map((r) => r.source.line)).toEqual([1, valid.split('\n').indexOf('# nothing') + 3]);
  });

  it('reads a file with old Mac line ends (CR only) as both parsers read it', () => {
    const { model, diagnostics: found } = load({ 'dr.yaml': REVIEWS_RULE.replace(/\n/g, '\r') });
    expect(found).toEqual([]);
    expect(model?.destinationRules[0]?.source).toEqual({ file: 'dr.yaml', line: 1, col: 1 });
  });
});

describe('where a YAML indentation mistake is', () => {
  // examples/canary/reviews.yaml, line 14 is `            subset: v1` (column 13).
  const REVIEWS = readFileSync('examples/canary/reviews.yaml', 'utf8');

  it('points at a key indented less than the keys beside it, not at the start of its line', () => {
    const files = { 'reviews.yaml': REVIEWS.replace('            subset: v1', '           subset: v1') };
    expect(diagnostics(files)).toEqual(['reviews.yaml:14:12 error: All mapping items must start at the same column']);
    expect(hints(files)).toEqual(['indent this line as far as the other keys of its mapping (spaces, not tabs)']);
  });

  it('points at a list entry indented less than the entries beside it', () => {
    const files = { 'reviews.yaml': REVIEWS.replace('          weight: 90', '         weight: 90') };
    expect(diagnostics(files)).toEqual(['reviews.yaml:15:10 error: Sequence item without - indicator']);
  });

  it('points at a tab used as indentation', () => {
    const files = { 'reviews.yaml': REVIEWS.replace('            subset: v1', '\tsubset: v1') };
    expect(diagnostics(files)[0]).toBe('reviews.yaml:14:1 error: Tabs are not allowed as indentation');
    expect(hints(files)[0]).toBe('indent with spaces: YAML does not allow tabs in indentation');
  });
});

describe('syntax first', () => {
  it('reports only the syntax error when a file does not parse, not its consequences', () => {
    const found = diagnostics({ 'mesh.yaml': `${MESH}  oops: [\n`, 'dr.yaml': REVIEWS_RULE });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^mesh\.yaml:\d+:\d+ error: /);
  });
});
