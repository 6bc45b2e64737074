// `kind: List` (what `kubectl get -o yaml` writes) and the typed lists of the Kubernetes API
// (`ServiceList`, ...): each item is a document of its own, whose positions are those of the item.
import type { SourceDocument } from '../load.ts';
import { valueAt } from '../position.ts';
import type { Report } from '../report.ts';

function isList(value: unknown): value is { kind: string; items?: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { kind } = value as { kind?: unknown };
  return typeof kind === 'string' && (kind === 'List' || (kind.endsWith('List') && 'items' in value));
}

function item(list: SourceDocument, index: number, value: unknown): SourceDocument {
  return {
    file: list.file,
    value,
    base: [...(list.base ?? []), 'items', index],
    get doc() {
      return list.doc;
    },
    get lines() {
      return list.lines;
    },
  };
}

/** The documents with every list replaced by its items, in order. */
export function expandLists(documents: readonly SourceDocument[], report: Report): SourceDocument[] {
  const out: SourceDocument[] = [];
  const expand = (source: SourceDocument) => {
    if (!isList(source.value)) {
      out.push(source);
      return;
    }
    const { items } = source.value;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) {
      report('error', valueAt(source, ['items']), `${source.value.kind} items must be a list of resources`);
      return;
    }
    items.forEach((value, i) => expand(item(source, i, value)));
  };
  documents.forEach(expand);
  return out;
}
