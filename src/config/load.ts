// Mesh YAML files → parsed documents that keep their source positions. Syntax errors and YAML
// warnings (such as a duplicate key) become diagnostics; nothing here knows about kinds.
import { open, readdir, readFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { isAlias, LineCounter, parseAllDocuments, parseDocument, type Document, type ErrorCode, type YAMLError } from 'yaml';
import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';
import type { Diagnostic } from './diagnostics.ts';
import { describeProblem, problemNode, valueProblem } from './value-limits.ts';
import { COMPOSE_DEFAULT_FILES, ROUTE_TEST_FILE } from './names.ts';

export interface SourceFile {
  /** As shown in diagnostics, e.g. `examples/canary/vs.yaml`. */
  path: string;
  text: string;
  /**
   * The file as a stat saw it both before and after its text was read (readMeshDir with `stat`);
   * absent otherwise, and when the file changed while it was read. See control/settled.ts.
   */
  stat?: FileStat;
}

/** What tells one state of a file from another; times in nanoseconds. */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** One non-empty YAML document of a file. */
export interface SourceDocument {
  file: string;
  /** The document as plain data (what the schemas check). */
  value: unknown;
  /**
   * The document with source positions: parsed on first use (only diagnostics need it). A
   * document the positioned parser does not find (it read the file otherwise) is an empty one.
   */
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** Where the resource is inside the YAML document: `['items', 2]` for an item of a `kind: List`. */
  readonly base?: readonly (string | number)[];
}

export interface ParsedSources {
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
  /**
   * Syntax errors found late: a file the fast parser read is parsed with positions only when a
   * diagnostic first points into it, and the positioned parser, whose verdict stands, may reject
   * what the fast one read (`: -`, `&!{}`). Filled as positions are read: read it last.
   */
  late: Diagnostic[];
}

/** Where the yaml package says an error is, moved from the indentation to the token after it. */
function errorOffset(text: string, e: YAMLError): number {
  let at = e.pos[0];
  while (text[at] === ' ') at++;
  return text[at] === undefined || text[at] === '\n' || text[at] === '\r' ? e.pos[0] : at;
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  BAD_INDENT: 'indent this line as far as the other keys of its mapping (spaces, not tabs)',
  TAB_AS_INDENT: 'indent with spaces: YAML does not allow tabs in indentation',
  RESOURCE_EXHAUSTION: 'no mesh resource nests that deeply; look for unclosed brackets',
};

function yamlDiagnostic(file: string, text: string, lines: LineCounter, e: YAMLError): Diagnostic {
  const { line, col } = lines.linePos(errorOffset(text, e));
  const hint = e.code === 'MISSING_CHAR' && e.message.startsWith('Sequence item') ? 'start a list entry with `- `, indented as far as the entries beside it' : HINTS[e.code];
  return {
    file,
    line,
    col,
    severity: e.name === 'YAMLWarning' ? 'warning' : 'error',
    message:
      e.code === 'DUPLICATE_KEY'
        ? `${e.message}; a key may appear once in a mapping`
        : e.code === 'RESOURCE_EXHAUSTION'
          ? 'the file nests too deeply to be read'
          : e.message,
    ...(hint ? { hint } : {}),
  };
}

/** One document's value: its index among all the documents of the file, as both parsers count them. */
interface Value {
  index: number;
  value: unknown;
}

interface PositionedFile {
  /** Every document of the file, in order (empty ones and ones with errors included). */
  all: Document.Parsed[];
  lines: LineCounter;
  /** The values of the documents without errors that hold something. */
  values: Value[];
}

/**
 * Parse a file with the `yaml` package, which keeps every node's position; its errors go to
 * `diagnostics`. With `values: false` (the fast parser has read them) only the positions.
 */
function parsePositioned(path: string, text: string, diagnostics: Diagnostic[], values = true): PositionedFile {
  const lines = new LineCounter();
  const report = (e: YAMLError) => diagnostics.push(yamlDiagnostic(path, text, lines, e));
  const all = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error', merge: true });
  // An empty stream (only comments) has no documents; its errors, if any, are on the stream.
  if ('empty' in all) {
    [...all.errors, ...all.warnings].forEach(report);
    return { all: [], lines, values: [] };
  }
  const read: Value[] = [];
  all.forEach((doc, index) => {
    // Nesting too deep is reported once per document, not once per level.
    const errors = doc.errors.filter((e, i) => e.code !== 'RESOURCE_EXHAUSTION' || doc.errors.findIndex((f) => f.code === e.code) === i);
    [...errors, ...doc.warnings].forEach(report);
    if (doc.errors.length > 0 || !values) return;
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      // An alias to an anchor defined later, or aliases expanding too much (a "billion laughs").
      const { line, col } = lines.linePos(doc.range[0]);
      diagnostics.push({ file: path, line, col, severity: 'error', message: (e as Error).message });
      return;
    }
    // A trailing `---` or a document of only comments holds nothing: not a resource.
    if (value !== null && value !== undefined) read.push({ index, value });
  });
  return { all, lines, values: read };
}

/**
 * YAML 1.2's core schema with merge keys (`<<: *anchor`), which Kubernetes and Istio read (their
 * YAML is 1.1's): both parsers use it.
 */
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/**
 * The values of a file's non-empty documents through js-yaml, several times faster than the
 * positioned parse (a 1000-service mesh: ~0.2 s instead of ~1.5 s); undefined when it finds
 * anything to complain about, so the positioned parse reports it. Same schema (see SCHEMA).
 */
function parseFast(text: string): Value[] | undefined {
  let values: unknown[];
  try {
    values = loadAll(text, null, { schema: SCHEMA });
  } catch {
    return undefined;
  }
  // js-yaml reads an empty key (`: -`, what an editor may save mid-edit) as the key `null`, where
  // the positioned parser often finds a syntax error: no mesh field is named null, so let it judge.
  if (hasNullKey(values)) return undefined;
  return values.map((value, index) => ({ value, index })).filter(({ value }) => value !== null && value !== undefined);
}

function hasNullKey(value: unknown, seen = new Set<object>()): boolean {
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some((item) => hasNullKey(item, seen));
  return Object.entries(value).some(([key, item]) => key === 'null' || hasNullKey(item, seen));
}

/**
 * A lone CR ends a line for js-yaml and for editors but not for the yaml package: both parsers
 * read the file alike with LF in its place (same length, so offsets stay the same).
 */
function lineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/**
 * Parse every file into documents, in the given order. A file may hold several documents (`---`).
 * With a cache, a file whose text it has seen is not parsed again (see ParseCache).
 */
export function parseSources(files: readonly SourceFile[], cache?: ParseCache): ParsedSources {
  const parts = cache ? cache.parseAll(files) : files.map(parseFile);
  return {
    documents: parts.flatMap((p) => p.documents),
    diagnostics: parts.flatMap((p) => p.diagnostics),
    get late() {
      return parts.flatMap((p) => p.late);
    },
  };
}

/** One file's documents and diagnostics (ParsedSources for one file). */
function parseFile(file: SourceFile): ParsedSources {
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const late: Diagnostic[] = [];
  const { path } = file;
  const text = lineEnds(file.text);
  let values = parseFast(text);
  let positioned: PositionedFile | undefined;
  if (!values) {
    positioned = parsePositioned(path, text, diagnostics);
    values = positioned.values;
  }
  // Positions are needed only to point at a mistake or to record where a resource is written:
  // the positioned parse runs then, once per file.
  const positions = (): PositionedFile => (positioned ??= parsePositioned(path, text, late, false));
  const docAt = (index: number): Document.Parsed => positions().all[index] ?? emptyDocument();
  for (const { index, value } of values) {
    const problem = valueProblem(value);
    if (problem) {
      const doc = docAt(index);
      const node = problemNode(doc, problem);
      const { line, col } = positions().lines.linePos(node?.range?.[0] ?? doc.range[0]);
      const alias = node && isAlias(node) ? node.source : undefined;
      diagnostics.push({ file: path, line, col, severity: 'error', ...describeProblem(problem, alias) });
      continue;
    }
    documents.push({
      file: path,
      value,
      get doc() {
        return docAt(index);
      },
      get lines() {
        return positions().lines;
      },
    });
  }
  return { documents, diagnostics, late };
}

/**
 * Each file's parse, kept while its text stays the same: the control plane's reloads parse only
 * the files that changed. Loads share the parsed values (nothing downstream changes them) and a
 * file's positions, parsed once when first needed.
 */
export class ParseCache {
  #files = new Map<string, { text: string; parsed: ParsedSources }>();

  /** The files' parses, in order; forgets files not among them. */
  parseAll(files: readonly SourceFile[]): ParsedSources[] {
    const parts = files.map((file) => {
      let entry = this.#files.get(file.path);
      if (entry?.text !== file.text) this.#files.set(file.path, (entry = { text: file.text, parsed: parseFile(file) }));
      return entry.parsed;
    });
    const paths = new Set(files.map((f) => f.path));
    for (const path of this.#files.keys()) if (!paths.has(path)) this.#files.delete(path);
    return parts;
  }
}

function emptyDocument(): Document.Parsed {
  return parseDocument('') as Document.Parsed;
}

const SKIPPED_DIRS = new Set(['node_modules']);

async function listYaml(dir: string, top = true): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) paths.push(...(await listYaml(path, false)));
    } else if (/\.ya?ml$/.test(entry.name) && !(top && (COMPOSE_DEFAULT_FILES as readonly string[]).includes(entry.name)) && !ROUTE_TEST_FILE.test(entry.name)) {
      paths.push(path);
    }
  }
  return paths;
}

/**
 * The *.yaml and *.yml files of a mesh directory and its subdirectories (dot-directories such as
 * `.mesh` and `node_modules` skipped, the user's Compose file at the top: compose.yaml …, and
 * route test files, *.test.yaml),
 * sorted by path. Paths start with `dir` as given. With `stat`, each with its stat (SourceFile.stat).
 */
export async function readMeshDir(dir: string, options: { stat?: boolean } = {}): Promise<SourceFile[]> {
  const paths = (await listYaml(dir)).sort();
  return Promise.all(paths.map(async (path) => (options.stat ? readStated(path) : { path, text: await readFile(path, 'utf8') })));
}

/**
 * A file with its stat, taken on the open file before and after reading it: the text is that of
 * the inode stated, even if another is renamed over the path meanwhile, and a write during the
 * read changes the stat (no stat then).
 */
async function readStated(path: string): Promise<SourceFile> {
  const handle = await open(path);
  try {
    const before = fileStat(await handle.stat({ bigint: true }));
    const text = await handle.readFile('utf8');
    const after = fileStat(await handle.stat({ bigint: true }));
    return sameStat(before, after) ? { path, text, stat: after } : { path, text };
  } finally {
    await handle.close();
  }
}

export function fileStat({ dev, ino, size, mtimeNs, ctimeNs }: BigIntStats): FileStat {
  return { dev, ino, size, mtimeNs, ctimeNs };
}
