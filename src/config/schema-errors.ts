// zod issues → diagnostics at the line and column of the offending node, in words a user
// understands: the field, what was expected, what was found, and the nearest known name.
import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import type { SourceDocument } from './load.ts';
import type { SourceRef } from './model.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import { collector } from './report.ts';
import { didYouMean } from './suggest.ts';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

export function getIn(value: unknown, path: Path): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string ('${value}')`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** The schema of the value at `path`, looking through optional/default wrappers. */
function schemaAt(schema: Schema, path: Path): Schema | undefined {
  let current: Schema | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') current = (def.shape as Record<string, Schema>)[String(segment)];
    else if (def.type === 'array') current = def.element as Schema;
    else if (def.type === 'record') current = def.valueType as Schema;
    else if (def.type === 'union') current = (def.options as Schema[]).find((o) => unwrap(o)._zod.def.type === 'object');
    else return undefined;
    current = current && unwrap(current);
  }
  return current;
}

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as { type: string; innerType?: Schema };
    if (!def.innerType) return current;
    current = def.innerType;
  }
}

function knownFields(schema: Schema, path: Path): string[] {
  const found = schemaAt(schema, path);
  const def = found?._zod.def as unknown as { type: string; shape?: Record<string, Schema> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** The range a number field takes, as its schema bounds it (Istio's and Envoy's bounds), for a hint. */
function rangeHint(schema: Schema, path: Path): string | undefined {
  const checks = (schemaAt(schema, path)?._zod.def as { checks?: { _zod: { def: { check: string; value: number; inclusive: boolean } } }[] } | undefined)?.checks ?? [];
  let minimum: number | undefined;
  let maximum: number | undefined;
  for (const { _zod: { def } } of checks) {
    if (def.check === 'greater_than' && def.inclusive) minimum = def.value;
    if (def.check === 'less_than' && def.inclusive) maximum = def.value;
  }
  const field = String(path[path.length - 1]);
  return minimum !== undefined && maximum !== undefined ? `${field} takes a number from ${minimum} to ${maximum}` : undefined;
}

/** Flatten a union failure to the branch that got furthest (the one not rejected at its root). */
function unionIssues(issue: Issue & { code: 'invalid_union' }): Issue[] | undefined {
  const deeper = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code !== 'invalid_type'));
  return deeper?.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue);
}

export function schemaDiagnostics(
  source: SourceDocument,
  kind: string,
  schema: Schema,
  issues: readonly Issue[],
): Diagnostic[] {
  const { diagnostics: out, report } = collector();
  const error = (ref: SourceRef, message: string, hint?: string) => report('error', ref, message, hint);
  const where = (path: Path) => (path.length ? `${kind} ${formatPath(path)}` : kind);

  for (const issue of issues) {
    const path = issue.path as Path;
    const value = getIn(source.value, path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const known = knownFields(schema, path);
          error(
            keyAt(source, [...path, key]),
            `unknown field '${key}' in ${where(path)}${didYouMean(key, known)}`,
            known.length ? `known fields here: ${known.join(', ')}` : undefined,
          );
        }
        break;
      case 'invalid_type':
        if (value === undefined) {
          const field = String(path[path.length - 1]);
          error(valueAt(source, path.slice(0, -1)), `missing field '${field}' in ${where(path.slice(0, -1))}`);
        } else {
          error(valueAt(source, path), `${where(path)}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(value)}`);
        }
        break;
      case 'invalid_value': {
        const allowed = issue.values.map(String);
        error(
          valueAt(source, path),
          `${where(path)}: '${String(value)}' is not allowed; expected one of ${allowed.join(', ')}${didYouMean(String(value), allowed)}`,
        );
        break;
      }
      case 'invalid_union': {
        const inner = unionIssues(issue);
        if (inner) {
          out.push(...schemaDiagnostics(source, kind, schema, inner));
        } else {
          const expected = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? (EXPECTED[b[0].expected] ?? b[0].expected) : '?'));
          error(valueAt(source, path), `${where(path)}: expected ${expected.join(' or ')}, got ${describeValue(value)}`);
        }
        break;
      }
      case 'too_small':
        error(
          valueAt(source, path),
          issue.origin === 'array'
            ? `${where(path)} needs at least ${issue.minimum} ${issue.minimum === 1 ? 'entry' : 'entries'}`
            : issue.origin === 'string'
              ? `${where(path)} must not be empty`
              : `${where(path)} must be at least ${issue.minimum}, got ${String(value)}`,
          issue.origin === 'number' ? rangeHint(schema, path) : undefined,
        );
        break;
      case 'too_big':
        error(
          valueAt(source, path),
          issue.origin === 'array'
            ? `${where(path)} allows at most ${issue.maximum} entries`
            : `${where(path)} must be at most ${issue.maximum}, got ${String(value)}`,
          issue.origin === 'number' ? rangeHint(schema, path) : undefined,
        );
        break;
      case 'invalid_key':
        error(keyAt(source, path), `${where(path)}: the key is not valid (${issue.issues.map((i) => i.message).join('; ')})`);
        break;
      default:
        error(valueAt(source, path), `${where(path)}: ${issue.message}`);
    }
  }
  return out;
}
