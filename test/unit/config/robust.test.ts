// Whatever the files hold, loading answers with diagnostics and never throws (nor hangs).
//
// Property tests over random bytes, random YAML-looking text and mutations of real mesh files.
// They run with a fixed seed, so a run is deterministic; the seed is printed at the start.
//   FC_SEED=1234 vitest run test/unit/config/robust.test.ts   another seed (e.g. one a failure printed)
//   FC_RUNS=5000 …                                            more runs per property (default 200)
// An input a run finds goes into REGRESSIONS below (or a file under test/fixtures/robust/), so it
// is checked on every run whatever the seed.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import type { ValidationResult } from '../../../src/config/index.ts';
import { ROUTE_TEST_FILE } from '../../../src/config/names.ts';
import { MESH } from './fixtures.ts';

const SEED = Number(process.env.FC_SEED ?? 20260806);
const RUNS = Number(process.env.FC_RUNS ?? 200);
console.log(`robust.test.ts: fast-check seed ${SEED}, ${RUNS} runs per property (override with FC_SEED, FC_RUNS)`);
const PARAMS = { seed: SEED, numRuns: RUNS };

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !ROUTE_TEST_FILE.test(e.name)) // route tests are not mesh files
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Real mesh files: the Istio samples, the examples, and the inputs kept under test/fixtures/robust. */
const REAL = [...yamlFiles('test/fixtures/bookinfo'), ...yamlFiles('test/fixtures/istio'), ...yamlFiles('examples'), ...yamlFiles('test/fixtures/robust')].map((path) => ({
  path,
  text: readFileSync(path, 'utf8'),
}));
const RULES = readFileSync('test/fixtures/bookinfo/v1/destination-rule-all.yaml', 'utf8');
const ROUTES = readFileSync('test/fixtures/bookinfo/v1/virtual-service-reviews-80-20.yaml', 'utf8');

/**
 * Every diagnostic says something and points into the file it names (or at no place: line 0).
 * Plain checks rather than expect(): they run for every diagnostic of thousands of loads.
 */
function expectLocated(result: ValidationResult, files: readonly { path: string; text: string }[]): void {
  for (const d of result.diagnostics) {
    const file = files.find((f) => f.path === d.file);
    const lineCount = file ? file.text.split(/\r\n|\r|\n/).length : Infinity;
    const located =
      d.message.length > 0 &&
      (d.severity === 'error' || d.severity === 'warning') &&
      Number.isInteger(d.line) && Number.isInteger(d.col) &&
      d.line >= 0 && d.col >= 0 &&
      (d.line === 0 || (d.line <= lineCount && d.col >= 1));
    if (!located) throw new Error(`diagnostic without a message or a place in ${d.file} (${lineCount} lines): ${JSON.stringify(d)}`);
  }
  // A model is plain data whose places can all be read (they are worked out when first read).
  if (result.model) JSON.stringify(result.model);
}

/** Load the base Mesh and `text` as x.yaml, then the text alone (it may be the only file, or hold the Mesh). */
function check(text: string): void {
  for (const files of [[{ path: 'mesh.yaml', text: MESH }, { path: 'x.yaml', text }], [{ path: 'x.yaml', text }]]) {
    expectLocated(loadMeshFromSources(files), files);
  }
}

/** Inputs that crashed or hung the loader once, or that sit on an edge of the YAML grammar. */
const REGRESSIONS: Record<string, string> = {
  // What an editor writes mid-edit (issue 8): js-yaml reads these, the positioned parser rejects them.
  'empty key then dash': ': -',
  'anchor of a tag on a flow map': '&!{}',
  'empty key': ':',
  'empty key in a list': '- : x',
  'mid-edit after a resource': `${ROUTES}---\n: -\n`,
  'mid-edit inside a resource': ROUTES.replace('  http:', '  http:\n: -'),
  'mid-edit in the second document of a file': `${RULES.split('---')[1]}\n---\n&!{}\n`,
  'key over 1024 characters': `${'k'.repeat(1100)}: 1\n`,
  'long key in a resource': ROUTES.replace('hosts:', `${'h'.repeat(1100)}: 1\n  hosts:`),
  // Aliases, anchors and tags.
  'alias to an undefined anchor': 'a: *x',
  'alias before its anchor': 'a: *x\nb: &x 1',
  'alias that contains itself': 'a: &a [*a]',
  'document that contains itself': '&a\nkind: VirtualService\nself: *a',
  'cycle kept by a loose object': `${ROUTES}self: &s {again: *s}\n`,
  'cycle in a Mesh': `${MESH}  extra: &e {e: *e}\n`,
  'billion laughs': `kind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: x}\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n${Array.from(
    { length: 8 },
    (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(',')}]`,
  ).join('\n')}\n`,
  'merge key': 'a: &x {k: 1}\nb: {<<: *x}',
  'anchor alone': '&a',
  'tag alone': '!x',
  'alias alone': '*a',
  'unknown tag': 'kind: !foo VirtualService',
  'binary tag': 'a: !!binary x',
  'core tags': 'kind: !!str Mesh\napiVersion: !!int 1',
  'directive': '%YAML 1.2\n---\nkind: Mesh\n',
  'unknown directive': '%FOO bar\n---\na: 1\n',
  // Document markers and empty documents.
  'empty file': '',
  'document marker only': '---',
  'document end only': '...',
  'markers only': '---\n---\n...\n---\n',
  'comment only': '# nothing here\n',
  'null document': '~',
  // Not mappings.
  'a scalar': 'hello',
  'a list': '- kind: Mesh\n- kind: Gateway',
  'a number': '42',
  'a quoted string': '"kind: Mesh"',
  // Strange scalars.
  'huge number': 'a: 1e999',
  'huge integer': `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hosts: [x], http: [{route: [{destination: {host: reviews}, weight: ${'9'.repeat(400)}}]}]}`,
  'nul in a quoted string': 'a: "\\x00"',
  'nul byte': 'a: \x00',
  'binary bytes': '\x00\x01\x02\xff\xfe',
  'lone surrogate': 'a: "\\ud800"',
  'long line': `a: ${'x'.repeat(200_000)}`,
  'deep flow nesting': `${'['.repeat(5000)}${']'.repeat(5000)}`,
  'deep block nesting': Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
  'nesting just under the js-yaml limit': `a: ${'['.repeat(99)}${']'.repeat(99)}`,
  'proto key': '__proto__: {kind: Mesh}\nkind: VirtualService',
  'constructor key': 'constructor: 1\nkind: Gateway',
  // Encodings and whitespace.
  'byte order mark': `\ufeff${ROUTES}`,
  'CRLF line ends': ROUTES.replace(/\n/g, '\r\n'),
  'CR line ends': ROUTES.replace(/\n/g, '\r'),
  'tab as indentation': ROUTES.replace('  hosts:', '\thosts:'),
  'tab after a colon': 'kind:\tMesh',
  'trailing spaces and no newline': `${ROUTES.trimEnd()}   `,
  'unterminated quote': 'a: "open',
  'unterminated flow': '{',
  'stray closing bracket': 'a: ]',
  'block scalar with bad indicator': 'a: |9x\n  b',
  'question mark key': '? a',
  'complex key': '? [a, b]\n: c',
  'duplicate keys': 'a: 1\na: 2',
  'duplicate keys in a resource': `${ROUTES}spec: {}\n`,
};

/** The example meshes as they are on disk: a file set the loader accepts. */
const EXAMPLES = ['examples/canary', 'examples/shop', 'examples/zero-trust'].map((dir) => REAL.filter((f) => f.path.startsWith(`${dir}/`)));

/** A mesh the loader accepts (and would serve) parses cleanly with the positioned parser, file by file. */
function expectServedOnlyIfParsed(files: readonly { path: string; text: string }[]): void {
  const result = loadMeshFromSources(files);
  expectLocated(result, files);
  if (!result.model) return;
  for (const { path, text } of files) {
    const all = parseAllDocuments(text);
    const errors = 'empty' in all ? all.errors : all.flatMap((d) => d.errors);
    if (errors.length > 0) throw new Error(`accepted although ${path} does not parse: ${errors[0]!.message}\n${text}`);
  }
}

/** Edits of the examples that js-yaml read as a valid mesh and the positioned parser rejects (found by the property below). */
const ACCEPTED_ONCE: [example: number, file: string, edit: (text: string) => string][] = [
  [0, 'gateway.yaml', (t) => `: -${t}`],
  [0, 'reviews.yaml', (t) => t.replace('\n---\n', '\n: -\n---\n')],
  [0, 'mesh.yaml', (t) => t.replace('  services:', ':   services:')],
];

describe('robustness', () => {
  it('starts from examples the loader serves', () => {
    for (const files of EXAMPLES) {
      const { model, diagnostics } = loadMeshFromSources(files);
      if (!model) throw new Error(`${files[0]?.path}: not served: ${diagnostics.map((d) => d.message).join('; ')}`);
    }
  });

  it.each(ACCEPTED_ONCE)('never accepts a mesh the positioned parser rejects: example %i, %s', (example, file, edit) => {
    const files = EXAMPLES[example]!.map((f) => (f.path.endsWith(`/${file}`) ? { ...f, text: edit(f.text) } : f));
    expectServedOnlyIfParsed(files);
  });

  it('never accepts a mesh the positioned parser rejects (one edit to an example)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.nat(), fc.nat(), token, (files, pick, at, piece) => {
        const i = pick % files.length;
        const text = files[i]!.text;
        const offset = at % (text.length + 1);
        expectServedOnlyIfParsed(files.map((f, j) => (j === i ? { ...f, text: text.slice(0, offset) + piece + text.slice(offset) } : f)));
      }),
      PARAMS,
    );
  });

  it.each(Object.entries(REGRESSIONS))('never throws on a kept input: %s', (_, text) => check(text));

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, latin1) => {
        check(Buffer.from(bytes).toString(latin1 ? 'latin1' : 'utf8'));
      }),
      PARAMS,
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), check), PARAMS);
  });

  it('never throws on random YAML-looking text', () => {
    fc.assert(fc.property(yamlish, check), PARAMS);
  });

  it('never throws on mutations of real mesh files', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REAL), fc.array(mutation, { minLength: 1, maxLength: 4 }), (file, edits) => {
        const text = edits.reduce((t, edit) => edit(t), file.text);
        const files = [{ path: file.path, text }];
        expectLocated(loadMeshFromSources(files), files);
        check(text);
      }),
      PARAMS,
    );
  });

  it('never throws on arbitrary values in place of any field of real resources', () => {
    const base = [RULES.split('---')[1]!, ROUTES];
    fc.assert(
      fc.property(fc.constantFrom(...base), fc.nat(), fc.jsonValue({ maxDepth: 2 }), (text, pick, value) => {
        const lines = text.split('\n');
        const i = pick % lines.length;
        const line = lines[i]!;
        const colon = line.indexOf(':');
        if (colon > 0) lines[i] = `${line.slice(0, colon + 1)} ${stringify(value, { collectionStyle: 'flow' }).trim()}`;
        check(lines.join('\n'));
      }),
      PARAMS,
    );
  });
});

// ---- generators ----------------------------------------------------------------------------

const WORDS = ['apiVersion', 'kind', 'metadata', 'name', 'spec', 'hosts', 'http', 'route', 'destination', 'host', 'subset',
  'subsets', 'weight', 'labels', 'version', 'services', 'ports', 'port', 'versions', 'image', 'Mesh', 'VirtualService',
  'DestinationRule', 'Gateway', 'networking.istio.io/v1', 'localmesh.dev/v1alpha1', 'reviews', 'v1', 'v2', 'a', 'x'];

/** One piece of YAML-looking text: words, indicators, anchors, aliases, tags, quotes, markers. */
const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 4, arbitrary: fc.constantFrom(': ', ':', '- ', '-', ', ', ' ', '  ') },
  { weight: 4, arbitrary: fc.nat({ max: 10 }).map((n) => `\n${' '.repeat(n)}`) },
  { weight: 2, arbitrary: fc.constantFrom('&a', '&b ', '*a', '*b', '!', '!x ', '!!str ', '!!map', '!<tag:x> ', '<<: ') },
  { weight: 2, arbitrary: fc.constantFrom('{', '}', '[', ']', '{}', '[]', '? ', '|', '>-', '|2') },
  { weight: 2, arbitrary: fc.constantFrom("'", '"', "''", '"\\x00"', '"\\u', '# c', '#', '---', '...', '%YAML 1.2', '\t', '\r\n', '\r', '\ufeff') },
  { weight: 2, arbitrary: fc.oneof(fc.integer().map(String), fc.constantFrom('1e999', '0x1F', '0o7', '.inf', '~', 'null', 'true', '-0', '50%')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);
const yamlish = fc.array(token, { maxLength: 60 }).map((parts) => parts.join(''));

type Edit = (text: string) => string;

/** An edit as a person (or an editor mid-save) makes it: insert, delete, re-indent, truncate, duplicate. */
const mutation: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.nat(), token).map(([at, piece]): Edit => (t) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + piece + t.slice(i);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 20 })).map(([at, n]): Edit => (t) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + t.slice(i + n);
  }),
  fc.nat().map((at): Edit => (t) => t.slice(0, at % (t.length + 1))),
  fc.tuple(fc.nat(), fc.integer({ min: -4, max: 4 })).map(([at, shift]): Edit => (t) => {
    const lines = t.split('\n');
    const i = at % lines.length;
    lines[i] = shift >= 0 ? ' '.repeat(shift) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-shift}}`), '');
    return lines.join('\n');
  }),
  fc.nat().map((at): Edit => (t) => {
    const lines = t.split('\n');
    const i = at % lines.length;
    lines.splice(i, 0, lines[i]!);
    return lines.join('\n');
  }),
);
