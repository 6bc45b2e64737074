// Where a path inside a parsed document was written: the line and column of a value or of its key.
import { isAlias, isMap, isSeq, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { SourceDocument } from './load.ts';
import type { SourceRef } from './model.ts';

export type Path = readonly PropertyKey[];

/** `spec.http[0].route[0]`, how the reference docs name a field. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

interface Found {
  /** The deepest node on the path that exists (none in an empty document). */
  node: Node | null;
  /** The key of that node when it is a mapping value. */
  key?: Node;
  /** Whether the whole path exists. */
  complete: boolean;
}

const isMergeKey = (key: unknown) =>
  isScalar(key) && (key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'));

/**
 * The pair of `key` in a mapping: written in it, else in the mappings its merge keys (`<<: *a`,
 * `<<: [*a, *b]`) bring in, the first one first, as YAML merges them.
 */
function pairOf(map: YAMLMap, key: string, doc: Document, seen = new Set<YAMLMap>()): Pair | undefined {
  seen.add(map);
  const own = map.items.find((p) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key);
  if (own) return own as Pair;
  for (const merge of map.items.filter((p) => isMergeKey(p.key))) {
    const from = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const item of from) {
      const target = isAlias(item) ? item.resolve(doc) : item;
      if (!isMap(target) || seen.has(target)) continue;
      const found = pairOf(target, key, doc, seen);
      if (found) return found;
    }
  }
  return undefined;
}

function walk(source: SourceDocument, path: Path): Found {
  let found: Found = { node: source.doc.contents, complete: true };
  for (const segment of source.base ? [...source.base, ...path] : path) {
    const { node } = found;
    if (isMap(node)) {
      const pair = pairOf(node, String(segment), source.doc);
      if (!pair || !pair.value) return { ...found, complete: false };
      found = { node: pair.value as Node, key: pair.key as Node, complete: true };
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      found = { node: node.items[segment] as Node, complete: true };
    } else {
      return { ...found, complete: false };
    }
  }
  return found;
}

/**
 * A SourceRef whose line and column are worked out when first read: finding them needs the
 * positioned parse of the file (see load.ts), which a valid mesh never has to pay for, although
 * checks name the place of every field they look at and the model records where each resource is.
 */
function lazyRef(source: SourceDocument, node: () => Node | null | undefined): SourceRef {
  let pos: { line: number; col: number } | undefined;
  const position = () => (pos ??= source.lines.linePos(node()?.range?.[0] ?? 0));
  return {
    file: source.file,
    get line() {
      return position().line;
    },
    get col() {
      return position().col;
    },
  };
}

/** The value at `path`, or the deepest existing parent when the path does not exist. */
export function valueAt(source: SourceDocument, path: Path): SourceRef {
  const at = [...path]; // the caller's array may change (walkSchema reuses one)
  return lazyRef(source, () => walk(source, at).node);
}

/** The key naming the value at `path` (where an unknown or misplaced field is written). */
export function keyAt(source: SourceDocument, path: Path): SourceRef {
  const at = [...path]; // the caller's array may change (walkSchema reuses one)
  return lazyRef(source, () => {
    const found = walk(source, at);
    return found.complete ? (found.key ?? found.node) : found.node;
  });
}

/** The document itself (its first node; for an item of a `kind: List`, the item). */
export function documentAt(source: SourceDocument): SourceRef {
  return lazyRef(source, () => walk(source, []).node);
}

