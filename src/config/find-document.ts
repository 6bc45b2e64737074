// Where a resource lives in its file's text: the YAML document whose root starts at the
// resource's source position, parsed with positions, for editing in place.
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { SourceRef } from './model.ts';

export interface FoundDocument {
  /** Every document of the file, in order. */
  docs: Document.Parsed[];
  /** The index of the resource's document in `docs`. */
  index: number;
  lines: LineCounter;
}

/** The document whose root node starts at `source` (its line and column), if it is still there. */
export function documentOf(text: string, source: Pick<SourceRef, 'line' | 'col'>): FoundDocument | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  if ('empty' in docs) return undefined;
  const index = docs.findIndex((d) => {
    const start = d.contents?.range?.[0];
    if (start === undefined) return false;
    const pos = lines.linePos(start);
    return pos.line === source.line && pos.col === source.col;
  });
  return index < 0 ? undefined : { docs, index, lines };
}

/** Where the node at `path` of the found document starts (1-based), if it exists. */
export function positionIn(found: FoundDocument, path: readonly (string | number)[]): { line: number; col: number } | undefined {
  const node = found.docs[found.index]!.getIn(path, true) as { range?: number[] } | undefined;
  return node?.range ? found.lines.linePos(node.range[0]!) : undefined;
}

/** The file's text with the found document printed again and every other one copied as it was. */
export function reprint(text: string, found: FoundDocument): string {
  const { docs, index } = found;
  const spans = docs.map((d, i) => [i === 0 ? 0 : d.range[0], i === docs.length - 1 ? text.length : docs[i + 1]!.range[0]] as const);
  return spans.map(([from, to], i) => (i === index ? String(docs[i]) : text.slice(from, to))).join('');
}
