// What a document's value must not be, whatever its YAML says: cyclic (an alias inside the node it
// names), blown up by aliases (a "billion laughs"), or nested deeper than any mesh needs. The
// checks after parsing walk values recursively: on such a value they would never end, or
// overflow the stack. Found here on the plain value; placed on the positioned document.
import { isAlias, isCollection, isNode, visit, type Document, type Node } from 'yaml';

const MAX_DEPTH = 100;
const MAX_REPEATED = 100_000;

export type ValueProblem = 'cycle' | 'repeated' | 'depth';

/** The first limit the value breaks, if any. Linear in the distinct objects of the value. */
export function valueProblem(value: unknown): ValueProblem | undefined {
  const done = new Map<object, { size: number; height: number }>();
  const open = new Set<object>();
  let distinct = 0; // nodes counted once however many aliases name them
  let problem: ValueProblem | undefined;
  const measure = (v: unknown, depth: number): { size: number; height: number } => {
    if (problem || v === null || typeof v !== 'object') return { size: 1, height: 0 };
    const known = done.get(v);
    if (known) return known;
    if (open.has(v)) return (problem = 'cycle'), { size: 1, height: 0 };
    if (depth > MAX_DEPTH) return (problem = 'depth'), { size: 1, height: 0 };
    open.add(v);
    const items = Array.isArray(v) ? v : Object.values(v);
    distinct += 1 + items.length;
    let size = 1;
    let height = 0;
    for (const item of items) {
      const m = measure(item, depth + 1);
      size += m.size;
      height = Math.max(height, m.height + 1);
    }
    open.delete(v);
    const result = { size, height };
    done.set(v, result);
    return result;
  };
  const { size, height } = measure(value, 0);
  if (problem) return problem;
  if (height > MAX_DEPTH) return 'depth';
  if (size - distinct > MAX_REPEATED) return 'repeated';
  return undefined;
}

/** A sentence for the problem, naming the alias at fault when there is one. */
export function describeProblem(problem: ValueProblem, alias: string | undefined): { message: string; hint: string } {
  switch (problem) {
    case 'cycle':
      return {
        message: `alias ${alias ? `*${alias} ` : ''}refers to a node that contains it: the value would never end`,
        hint: 'an alias may only repeat a node written outside it; write the values out instead',
      };
    case 'repeated':
      return {
        message: `aliases in this document repeat more than ${MAX_REPEATED} values`,
        hint: 'write the values out, or use aliases of aliases less deeply',
      };
    case 'depth':
      return { message: `this document nests deeper than ${MAX_DEPTH} levels`, hint: 'no mesh resource needs that many levels; look for unclosed brackets' };
  }
}

/** The node to point at: the alias at fault, or the first node past the depth limit (else the first alias). */
export function problemNode(doc: Document.Parsed, problem: ValueProblem): Node | undefined {
  let firstAlias: Node | undefined;
  let found: Node | undefined;
  visit(doc, (_key, node, path) => {
    if (problem === 'depth' && isCollection(node) && path.filter(isCollection).length >= MAX_DEPTH) found = node;
    if (isAlias(node)) {
      firstAlias ??= node;
      if (problem === 'repeated') found = node;
      if (problem === 'cycle' && path.some((up) => isNode(up) && up.anchor === node.source)) found = node;
    }
    return found ? visit.BREAK : undefined;
  });
  return found ?? firstAlias;
}
