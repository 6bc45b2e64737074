// The layering of src/ (README, Layout): each folder imports only the folders below it. A new
// import that breaks it fails here; the imports that break it today are listed, each with why
// and where it goes, and an entry that no longer matches fails too, so the list only shrinks.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/** What each folder of src/ may import besides itself. config and envoy are leaves. */
const MAY_IMPORT: Record<string, string[]> = {
  config: [],
  envoy: [],
  load: [],
  compile: ['config', 'envoy'],
  // The mesh as Kubernetes manifests for a cluster with Istio (pure, from the validated model).
  export: ['config'],
  xds: ['envoy'],
  control: ['config', 'compile', 'envoy', 'xds'],
  routetest: ['config', 'compile', 'envoy', 'control'],
  compose: ['config', 'compile', 'envoy', 'xds', 'control'],
  runtime: ['config', 'compile', 'envoy', 'xds', 'control', 'compose'],
  // The canary's analysis and driver (pure), its plan from a Canary document (config's schema), and
  // its state files in DIR/.mesh/ (runtime/json-file.ts).
  canary: ['config', 'runtime'],
  tui: ['config', 'compile', 'envoy', 'xds', 'control', 'compose', 'runtime', 'load', 'canary'],
  // The web view's routes on the control plane's API (its pages are static files in web/).
  web: ['config', 'control', 'tui'],
  cli: ['config', 'compile', 'envoy', 'xds', 'control', 'compose', 'runtime', 'load', 'canary', 'tui', 'routetest', 'export', 'web'],
};

/** Imports that break the layering today (`FILE -> FILE`, paths under src/), to be removed by the next steps. */
const KNOWN: Record<string, string> = {};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const IMPORT = /(?:\bfrom|\bimport\s*\(?)\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every relative import of a file in src/ that lands in another folder of src/, as `FILE -> FILE`. */
function crossFolderImports(): Array<{ edge: string; from: string; to: string }> {
  const edges: Array<{ edge: string; from: string; to: string }> = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(IMPORT)) {
      const target = relative(SRC, join(dirname(file), specifier!)).split(sep).join('/');
      if (target.startsWith('..')) continue; // package.json, templates: not a layer
      const source = relative(SRC, file).split(sep).join('/');
      const from = source.split('/')[0]!;
      const to = target.split('/')[0]!;
      if (from !== to) edges.push({ edge: `${source} -> ${target}`, from, to });
    }
  }
  return edges;
}

describe('the layering of src/', () => {
  const edges = crossFolderImports();

  it('names every folder of src/', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('has no cycle: a folder may import only folders listed before it', () => {
    const order = Object.keys(MAY_IMPORT);
    for (const [folder, below] of Object.entries(MAY_IMPORT)) {
      for (const other of below) expect(order.indexOf(other), `${folder} may import ${other}`).toBeLessThan(order.indexOf(folder));
    }
  });

  it('finds the imports it checks', () => {
    expect(edges.some((e) => e.edge === 'compile/index.ts -> envoy/proto.ts')).toBe(true);
  });

  it('has no import from a folder above, except the known ones', () => {
    const breaking = edges.filter((e) => !MAY_IMPORT[e.from]!.includes(e.to)).map((e) => e.edge);
    const unknown = [...new Set(breaking)].filter((edge) => !(edge in KNOWN));
    expect(unknown, 'imports that break the layering (README, Layout)').toEqual([]);
    const gone = Object.keys(KNOWN).filter((edge) => !breaking.includes(edge));
    expect(gone, 'known violations that are fixed: remove them from KNOWN').toEqual([]);
  });
});

/** Every relative import of a file in src/, as paths under src/. */
function allImports(): Array<{ source: string; target: string }> {
  return sources(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(IMPORT)].map(([, specifier]) => ({
      source: relative(SRC, file).split(sep).join('/'),
      target: relative(SRC, join(dirname(file), specifier!)).split(sep).join('/'),
    })),
  );
}

describe('the runtimes behind one contract (runtime/contract.ts)', () => {
  const imports = allImports();
  const runtimeFolder = (path: string) => /^runtime\/([^/]+)\//.exec(path)?.[1];

  it('above runtime/, only the contract, `mesh status` and the run-file helpers are imported, and the registry by the composition root alone', () => {
    const used = imports.filter((i) => i.target.startsWith('runtime/') && !i.source.startsWith('runtime/'));
    expect(used.length).toBeGreaterThan(0);
    // json-file.ts: atomic JSON files in DIR/.mesh/ (mesh canary's state, which the dashboard reads).
    const shared = ['runtime/contract.ts', 'runtime/status.ts', 'runtime/json-file.ts'];
    const other = used.filter((i) => !shared.includes(i.target) && !(i.target === 'runtime/registry.ts' && i.source === 'cli/main.ts'));
    expect(other.map((i) => `${i.source} -> ${i.target}`)).toEqual([]);
  });

  it('a runtime\'s folder is imported only from itself and the registry; the shared modules of runtime/ import no runtime', () => {
    const wrong = imports.filter((i) => {
      const folder = runtimeFolder(i.target);
      return folder !== undefined && runtimeFolder(i.source) !== folder && i.source !== 'runtime/registry.ts';
    });
    expect(wrong.map((i) => `${i.source} -> ${i.target}`)).toEqual([]);
  });
});
