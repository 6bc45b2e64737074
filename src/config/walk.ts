// Visit every field of a validated value together with the schema that checked it, so a check
// can apply to every field of one type (every Duration, every StringMatch) wherever it occurs.
import type { z } from 'zod';
import type { Path } from './position.ts';

type Schema = z.core.$ZodType;

export type Visitor = (schema: Schema, value: unknown, path: Path) => void;

interface Def {
  type: string;
  innerType?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
}

/**
 * Calls `visit` for every value at or below `path` with the schema written for it (before
 * unwrapping). The path is one array, changed as the walk goes on: copy it to keep it (the
 * position functions do).
 */
export function walkSchema(schema: Schema, value: unknown, visit: Visitor, path: PropertyKey[] = []): void {
  if (value === undefined) return;
  visit(schema, value, path);
  const def = schema._zod.def as unknown as Def;
  if (def.innerType) return walkSchema(def.innerType, value, visit, path);
  if (value === null || typeof value !== 'object') return;
  const step = (key: PropertyKey, item: unknown, itemSchema: Schema) => {
    path.push(key);
    walkSchema(itemSchema, item, visit, path);
    path.pop();
  };
  if (def.type === 'object' && def.shape) {
    for (const key in def.shape) step(key, (value as Record<string, unknown>)[key], def.shape[key]!);
  } else if (def.type === 'array' && def.element && Array.isArray(value)) {
    value.forEach((item, i) => step(i, item, def.element!));
  } else if (def.type === 'record' && def.valueType) {
    for (const [key, item] of Object.entries(value)) step(key, item, def.valueType);
  }
}

/**
 * Calls `visit` with every path present in a plain value (objects and lists), parents before
 * children. The path is one array, changed as the walk goes on: copy it to keep it.
 */
export function forEachPath(value: unknown, visit: (path: readonly PropertyKey[]) => void, path: PropertyKey[] = []): void {
  if (value === null || typeof value !== 'object') return;
  const entries: [PropertyKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    path.push(key);
    visit(path);
    forEachPath(item, visit, path);
    path.pop();
  }
}
