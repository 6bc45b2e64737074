// Where a resource lives in its file's text: the YAML document whose root starts at the
// resource's source position (or whose `kind: List` has an item starting there), parsed with
// positions, for editing in place.
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { SourceRef } from './model.ts';

export interface FoundDocument {
  /** Every document of the file, in order. */
  docs: Document.Parsed[];
  /** The index of the resource's document in `docs`. */
  index: number;
  /** Where the resource is in that document: `[]`, or `['items', 2]` for an item of a List. */
  base: (string | number)[];
  lines: LineCounter;
}

/** The path from `node` to the node starting at `start`: the node itself, or a List item, nested lists included. */
function pathTo(node: Node | null, start: number): (string | number)[] | undefined {
  if (!node) return undefined;
  if (node.range?.[0] === start) return [];
  const items = isMap(node) ? node.get('items', true) : undefined;
  if (!isSeq(items)) return undefined;
  for (const [i, item] of items.items.entries()) {
    const rest = pathTo(item as Node, start);
    if (rest) return ['items', i, ...rest];
  }
  return undefined;
}

/** A path inside the resource (`['spec', 'http', 0]`) as a path inside its document. */
export function inDocument(found: FoundDocument, path: readonly (string | number)[]): (string | number)[] {
  return [...found.base, ...path];
}

/** The document whose root node starts at `source` (its line and column), if it is still there. */
export function documentOf(text: string, source: Pick<SourceRef, 'line' | 'col'>): FoundDocument | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  if ('empty' in docs) return undefined;
  const start = offsetOf(lines, source);
  if (start === undefined) return undefined;
  for (const [index, d] of docs.entries()) {
    const base = pathTo(d.contents, start);
    if (base) return { docs, index, base, lines };
  }
  return undefined;
}

/** The offset of a 1-based line and column, if the text has that line. */
function offsetOf(lines: LineCounter, at: Pick<SourceRef, 'line' | 'col'>): number | undefined {
  const lineStart = lines.lineStarts[at.line - 1];
  return lineStart === undefined ? undefined : lineStart + at.col - 1;
}

/** Where the node at `path` of the found document starts (1-based), if it exists. */
export function positionIn(found: FoundDocument, path: readonly (string | number)[]): { line: number; col: number } | undefined {
  const node = found.docs[found.index]!.getIn(inDocument(found, path), true) as { range?: number[] } | undefined;
  return node?.range ? found.lines.linePos(node.range[0]!) : undefined;
}

/** The file's text with the found document printed again and every other one copied as it was. */
export function reprint(text: string, found: FoundDocument): string {
  const { docs, index } = found;
  const spans = docs.map((d, i) => [i === 0 ? 0 : d.range[0], i === docs.length - 1 ? text.length : docs[i + 1]!.range[0]] as const);
  return spans.map(([from, to], i) => (i === index ? String(docs[i]) : text.slice(from, to))).join('');
}
