// Checks that apply to a type of field wherever it occurs in a document: every Duration parses,
// every Percent is within 0–100, every StringMatch has one form and a regex Envoy's RE2 accepts,
// and every field localmesh accepts but does not apply gets a warning.
import { RE2JS } from 're2js';
import type { z } from 'zod';
import { parseDuration } from './duration.ts';
import type { KindName } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import { notAppliedFields } from './not-applied.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import type { Report } from './report.ts';
import { Duration, Percent, StringMatch } from './schema/common.ts';
import { walkSchema } from './walk.ts';

/** Envoy matches headers, paths and origins with RE2, which has no look-around or back-references. */
export function regexProblem(regex: string): string | undefined {
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function checkRegex(source: SourceDocument, path: Path, regex: string, report: Report): void {
  const problem = regexProblem(regex);
  if (problem) {
    report('error', valueAt(source, path), `regex '${regex}' at ${formatPath(path)} is not valid for Envoy (RE2): ${problem}`,
      'RE2 has no look-ahead/look-behind ((?=, (?!, (?<=) and no back-references (\\1)');
  }
}

export function checkPercentValue(source: SourceDocument, path: Path, value: number, report: Report): void {
  if (value < 0 || value > 100) {
    report('error', valueAt(source, path), `${formatPath(path)} is ${value}; a percentage must be between 0 and 100`);
  }
}

export function checkFields(kind: KindName, schema: z.core.$ZodType, source: SourceDocument, value: unknown, report: Report): void {
  walkSchema(schema, value, (s, v, path) => {
    if (s === Duration && typeof v === 'string' && parseDuration(v) === undefined) {
      report('error', valueAt(source, path), `'${v}' at ${formatPath(path)} is not a duration`,
        'write a number and a unit: 7s, 1.5s, 100ms, 2m, 1h (units h, m, s, ms, us, ns)');
    } else if (s === Percent) {
      checkPercentValue(source, [...path, 'value'], (v as z.infer<typeof Percent>).value, report);
    } else if (s === StringMatch) {
      const match = v as StringMatch;
      const forms = (['exact', 'prefix', 'regex'] as const).filter((f) => match[f] !== undefined);
      if (forms.length > 1) {
        report('error', keyAt(source, [...path, forms[1]!]), `${formatPath(path)} sets ${forms.join(' and ')}; a string match takes exactly one of exact, prefix or regex`);
      }
      if (match.regex !== undefined) checkRegex(source, [...path, 'regex'], match.regex, report);
    }
  });
  for (const { path, entry } of notAppliedFields(kind, value)) {
    report('warning', keyAt(source, path), `${kind} ${formatPath(path)} is accepted but not applied by localmesh yet: ${entry.effect}`);
  }
}
