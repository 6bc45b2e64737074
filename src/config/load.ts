// Mesh YAML files → parsed documents that keep their source positions. Syntax errors and YAML
// warnings (such as a duplicate key) become diagnostics; nothing here knows about kinds.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export interface SourceFile {
  /** As shown in diagnostics, e.g. `examples/canary/vs.yaml`. */
  path: string;
  text: string;
}

/** One non-empty YAML document of a file. */
export interface SourceDocument {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The document as plain data (what the schemas check). */
  value: unknown;
}

export interface ParsedSources {
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
}

function yamlDiagnostic(file: string, lines: LineCounter, e: YAMLError): Diagnostic {
  const { line, col } = lines.linePos(e.pos[0]);
  return {
    file,
    line,
    col,
    severity: e.name === 'YAMLWarning' ? 'warning' : 'error',
    message: e.code === 'DUPLICATE_KEY' ? `${e.message}; a key may appear once in a mapping` : e.message,
  };
}

/** Parse every file into documents, in the given order. A file may hold several documents (`---`). */
export function parseSources(files: readonly SourceFile[]): ParsedSources {
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { path, text } of files) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
    // An empty stream (only comments) has no documents; its errors, if any, are on the stream.
    if ('empty' in docs) {
      for (const e of [...docs.errors, ...docs.warnings]) diagnostics.push(yamlDiagnostic(path, lines, e));
    }
    for (const doc of docs) {
      for (const e of [...doc.errors, ...doc.warnings]) diagnostics.push(yamlDiagnostic(path, lines, e));
      if (doc.errors.length > 0) continue;
      let value: unknown;
      try {
        value = doc.toJS();
      } catch (e) {
        // An alias to an anchor defined later, or aliases expanding too much (a "billion laughs").
        const { line, col } = lines.linePos(doc.range[0]);
        diagnostics.push({ file: path, line, col, severity: 'error', message: (e as Error).message });
        continue;
      }
      // A trailing `---` or a document of only comments holds nothing: not a resource.
      if (value === null || value === undefined) continue;
      documents.push({ file: path, doc, lines, value });
    }
  }
  return { documents, diagnostics };
}

const SKIPPED_DIRS = new Set(['node_modules']);

async function listYaml(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) paths.push(...(await listYaml(path)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      paths.push(path);
    }
  }
  return paths;
}

/**
 * The *.yaml and *.yml files of a mesh directory and its subdirectories (dot-directories such as
 * `.mesh` and `node_modules` skipped), sorted by path. Paths start with `dir` as given.
 */
export async function readMeshDir(dir: string): Promise<SourceFile[]> {
  const paths = (await listYaml(dir)).sort();
  return Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
}
