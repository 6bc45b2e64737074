import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMesh, loadMeshFromSources } from '../../../src/config/index.ts';
import { parseSources, readMeshDir } from '../../../src/config/load.ts';
import { diagnostics, MESH, REVIEWS_RULE } from './fixtures.ts';

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

  it('names files with the directory as the user typed it', async () => {
    const dir = await meshDir({ 'mesh.yaml': MESH, 'vs.yaml': 'kind: VirtualServce\n' });
    const { diagnostics: found } = await loadMesh(dir);
    expect(found[0]).toMatchObject({ file: join(dir, 'vs.yaml'), line: 1, col: 7 });
  });

  it('reports a missing Mesh against the directory', async () => {
    const dir = await meshDir({ 'dr.yaml': REVIEWS_RULE });
    const { diagnostics: found } = await loadMesh(dir);
    expect(found.map((d) => [d.file, d.line, d.message])).toEqual([
      [dir, 0, 'no Mesh document: a mesh directory declares its services in exactly one Mesh'],
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
});

describe('syntax first', () => {
  it('reports only the syntax error when a file does not parse, not its consequences', () => {
    const found = diagnostics({ 'mesh.yaml': `${MESH}  oops: [\n`, 'dr.yaml': REVIEWS_RULE });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^mesh\.yaml:\d+:\d+ error: /);
  });
});
