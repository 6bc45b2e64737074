// Envoy's own validation rules, as its protos declare them (protoc-gen-validate annotations:
// number ranges, string lengths and patterns, required fields and oneofs, duration bounds, list
// sizes, defined enums…), for values in Envoy's JSON form. Envoy runs the same rules on every
// config it reads and refuses the config when one fails; here they fail first, as an
// EnvoyConfigError naming the rule and the value. The proto check (proto.ts) walks the resource
// once and asks here about each message and each field it has checked the type of. As in
// protoc-gen-validate, a scalar that is not written (outside a oneof) is checked as its zero value.
import protobuf from 'protobufjs';
import { RE2JS } from 're2js';
import { at, EnvoyConfigError } from './config-error.ts';
import { DURATION } from './well-known.ts';

/** A field's `(validate.rules)`, e.g. `{ uint32: { lte: 100 } }`. */
type Rules = { [kind: string]: Rule };
type Rule = { [name: string]: unknown };

interface FieldPlan {
  field: protobuf.Field;
  rules: Rules;
}

/** What Envoy's rules ask of one message type, worked out once per type. */
export interface MessageRules {
  name: string;
  /** Fields with rules, by JSON key. */
  fields: Map<string, FieldPlan>;
  /** Fields whose absence breaks a rule (a required message, a scalar whose zero value fails), with why. */
  absent: { key: string; detail: string }[];
  /** Oneofs annotated `(validate.required)`: one member must be set. */
  requiredOneofs: { name: string; members: string[] }[];
}

const plans = new Map<protobuf.Type, MessageRules | null>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setPath(target: Rule, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) node = (node[segment] ??= {}) as Rule;
  node[path[path.length - 1]!] = value;
}

function mergeInto(target: Rule, source: Rule): void {
  for (const [key, value] of Object.entries(source)) {
    if (isObject(value) && isObject(target[key])) mergeInto(target[key] as Rule, value);
    else target[key] = value;
  }
}

/** protobufjs keeps an option either flat (`(validate.rules).uint32.lte`) or parsed (`{uint32: {lte}}`); both, merged. */
function rulesOf(field: protobuf.Field): Rules | undefined {
  const rules: Rule = {};
  for (const parsed of (field as unknown as { parsedOptions?: Rule[] }).parsedOptions ?? []) {
    const value = parsed['(validate.rules)'];
    if (isObject(value)) mergeInto(rules, value);
  }
  for (const [key, value] of Object.entries(field.options ?? {})) {
    if (key.startsWith('(validate.rules).')) setPath(rules, key.slice('(validate.rules).'.length).split('.'), value);
  }
  return Object.keys(rules).length ? (rules as Rules) : undefined;
}

/** The rules of a message type, or undefined when it has none (most types). */
export function messageRules(type: protobuf.Type): MessageRules | undefined {
  let plan = plans.get(type);
  if (plan !== undefined) return plan ?? undefined;
  const name = type.fullName.slice(1);
  const fields = new Map<string, FieldPlan>();
  const absent: MessageRules['absent'] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const rules = rulesOf(field);
    if (!rules) continue;
    fields.set(field.name, { field, rules });
    // Whether leaving the field out breaks a rule is the same for every message: decided once.
    try {
      checkField(field, rules, undefined, name);
    } catch (error) {
      if (!(error instanceof EnvoyConfigError)) throw error;
      absent.push({ key: field.name, detail: error.message.replace(/^: /, '').replace(/ \(in [^)]*\)$/, '') });
    }
  }
  const requiredOneofs = type.oneofsArray
    .filter((o) => o.options?.['(validate.required)'] === true)
    .map((o) => ({ name: o.name, members: o.oneof }));
  plan = fields.size || requiredOneofs.length ? { name, fields, absent, requiredOneofs } : null;
  plans.set(type, plan);
  return plan ?? undefined;
}

/** Throws EnvoyConfigError (without the key in its path) when a written field's value breaks its rules. */
export function checkFieldRules(rules: MessageRules, key: string, value: unknown): void {
  const found = rules.fields.get(key);
  if (found) checkField(found.field, found.rules, value, rules.name);
}

/** Throws EnvoyConfigError for a field left out that a rule needs, or a required oneof with no member set. */
export function checkMessageRules(rules: MessageRules, json: Record<string, unknown>): void {
  for (const oneof of rules.requiredOneofs) {
    if (!oneof.members.some((m) => json[m] !== undefined)) {
      throw new EnvoyConfigError('', rules.name, `Envoy requires one of ${oneof.members.join(', ')} (oneof ${oneof.name})`);
    }
  }
  for (const { key, detail } of rules.absent) {
    if (json[key] === undefined) throw new EnvoyConfigError(key, rules.name, detail);
  }
}

function zeroValue(field: protobuf.Field): unknown {
  if (field instanceof protobuf.MapField) return {};
  if (field.repeated) return [];
  if (field.resolvedType instanceof protobuf.Type) return undefined;
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  if (field.type === 'string' || field.type === 'bytes') return '';
  if (field.type === 'bool') return false;
  return 0;
}

function checkField(field: protobuf.Field, rules: Rules, written: unknown, typeName: string): void {
  const fail = (detail: string): never => {
    throw new EnvoyConfigError('', typeName, detail);
  };
  if (written === undefined) {
    // A member of a oneof (or a proto3 `optional`) that is not written is not set: no rule applies.
    if (field.partOf) return;
    if (rules.message?.required === true || rules.duration?.required === true || rules.any?.required === true) {
      fail('Envoy requires this field');
    }
  }
  const value = written === undefined ? zeroValue(field) : written;
  if (value === undefined) return; // a message that is not set
  if (field instanceof protobuf.MapField) return checkMap(field, rules.map, value as Record<string, unknown>, fail);
  if (field.repeated) return checkRepeated(field, rules.repeated, value as unknown[], fail);
  checkValue(field, rules, value, fail);
}

type Fail = (detail: string) => never;

function checkRepeated(field: protobuf.Field, rule: Rule | undefined, list: unknown[], fail: Fail): void {
  if (!rule) return;
  if (rule.ignore_empty === true && list.length === 0) return;
  const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
  if (typeof rule.min_items === 'number' && list.length < rule.min_items) fail(`got ${items(list.length)}; Envoy requires at least ${items(rule.min_items)}`);
  if (typeof rule.max_items === 'number' && list.length > rule.max_items) fail(`got ${items(list.length)}; Envoy allows at most ${items(rule.max_items)}`);
  if (rule.unique === true) {
    const seen = new Set(list.map((v) => JSON.stringify(v)));
    if (seen.size !== list.length) fail('Envoy requires the items to be distinct');
  }
  if (isObject(rule.items)) {
    const itemRules = rule.items as Rules;
    list.forEach((item, i) => at(`[${i}]`, () => checkValue(field, itemRules, item, fail)));
  }
}

function checkMap(field: protobuf.MapField, rule: Rule | undefined, map: Record<string, unknown>, fail: Fail): void {
  if (!rule) return;
  const size = Object.keys(map).length;
  if (rule.ignore_empty === true && size === 0) return;
  if (typeof rule.min_pairs === 'number' && size < rule.min_pairs) fail(`got ${size} entries; Envoy requires at least ${rule.min_pairs}`);
  if (typeof rule.max_pairs === 'number' && size > rule.max_pairs) fail(`got ${size} entries; Envoy allows at most ${rule.max_pairs}`);
  for (const [key, item] of Object.entries(map)) {
    at(key, () => {
      if (isObject(rule.keys)) checkString((rule.keys as Rules).string, key, fail);
      if (isObject(rule.values)) checkValue(field, rule.values as Rules, item, fail);
    });
  }
}

const NUMBER_KINDS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);

/** One value (a field's, or an item's of a list or a map) against its rules. */
function checkValue(field: protobuf.FieldBase, rules: Rules, value: unknown, fail: Fail): void {
  for (const kind in rules) if (NUMBER_KINDS.has(kind)) checkNumber(rules[kind]!, Number(value), fail);
  if (rules.string) checkString(rules.string, value as string, fail);
  if (rules.bytes) checkBytes(rules.bytes, value as string, fail);
  if (rules.bool && rules.bool.const !== undefined && value !== rules.bool.const) fail(`got ${String(value)}; Envoy requires ${String(rules.bool.const)}`);
  if (rules.enum && field.resolvedType instanceof protobuf.Enum) checkEnum(rules.enum, field.resolvedType, value, fail);
  if (rules.duration) checkDuration(rules.duration, value as string, fail);
  if (rules.any && isObject(value)) {
    const url = String(value['@type']);
    if (Array.isArray(rules.any.in) && !rules.any.in.includes(url)) fail(`${url} is not one of the types Envoy accepts here: ${rules.any.in.join(', ')}`);
    if (Array.isArray(rules.any.not_in) && rules.any.not_in.includes(url)) fail(`Envoy does not accept ${url} here`);
  }
}

function asNumber(bound: unknown): number | undefined {
  if (bound === undefined || bound === null) return undefined;
  if (typeof bound === 'object' && 'toNumber' in bound) return (bound as { toNumber(): number }).toNumber();
  return Number(bound);
}

/** lt/lte/gt/gte as protoc-gen-validate reads them: a lower bound above the upper one means "outside the range". */
function checkBounds<T>(value: T, rule: Rule, toNumber: (v: unknown) => number | undefined, show: (v: number) => string, shown: string, fail: Fail): void {
  const v = toNumber(value)!;
  const lt = toNumber(rule.lt);
  const lte = toNumber(rule.lte);
  const gt = toNumber(rule.gt);
  const gte = toNumber(rule.gte);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const below = (x: number) => (lt !== undefined ? x < lt : x <= lte!);
  const above = (x: number) => (gt !== undefined ? x > gt : x >= gte!);
  const words = {
    upper: lt !== undefined ? `less than ${show(lt)}` : `at most ${show(lte!)}`,
    lower: gt !== undefined ? `greater than ${show(gt)}` : `at least ${show(gte!)}`,
  };
  if (upper !== undefined && lower !== undefined && lower > upper) {
    if (!(below(v) || above(v))) fail(`got ${shown}; Envoy requires a value ${words.upper} or ${words.lower}`);
    return;
  }
  if (upper !== undefined && !below(v)) fail(`got ${shown}; Envoy requires a value ${words.upper}`);
  if (lower !== undefined && !above(v)) fail(`got ${shown}; Envoy requires a value ${words.lower}`);
}

function checkNumber(rule: Rule, value: number, fail: Fail): void {
  const shown = String(value);
  if (rule.const !== undefined && value !== asNumber(rule.const)) fail(`got ${shown}; Envoy requires ${String(rule.const)}`);
  if (Array.isArray(rule.in) && !rule.in.map(asNumber).includes(value)) fail(`got ${shown}; Envoy requires one of ${rule.in.join(', ')}`);
  if (Array.isArray(rule.not_in) && rule.not_in.map(asNumber).includes(value)) fail(`got ${shown}; Envoy does not allow ${rule.not_in.join(', ')}`);
  checkBounds(value, rule, asNumber, String, shown, fail);
}

/** protoc-gen-validate's well-known header regexes (strict by default; `strict: false` only rules out NUL, CR and LF). */
const HEADER_REGEX = {
  HTTP_HEADER_NAME: { strict: /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/, loose: /^[^\u0000\u000A\u000D]*$/, what: 'HTTP header name' },
  HTTP_HEADER_VALUE: { strict: /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/, loose: /^[^\u0000\u000A\u000D]*$/, what: 'HTTP header value' },
} as const;

const patterns = new Map<string, RE2JS>();

function characters(n: number): string {
  return `${n} character${n === 1 ? '' : 's'}`;
}

function checkString(rule: Rule | undefined, value: string, fail: Fail): void {
  if (!rule) return;
  if (rule.ignore_empty === true && value === '') return;
  const shown = JSON.stringify(value);
  const length = [...value].length;
  const bytes = Buffer.byteLength(value);
  const num = (v: unknown) => asNumber(v)!;
  if (rule.const !== undefined && value !== rule.const) fail(`got ${shown}; Envoy requires ${JSON.stringify(rule.const)}`);
  if (rule.len !== undefined && length !== num(rule.len)) fail(`got ${shown}; Envoy requires exactly ${characters(num(rule.len))}`);
  if (rule.min_len !== undefined && length < num(rule.min_len)) fail(`got ${shown}; Envoy requires at least ${characters(num(rule.min_len))}`);
  if (rule.max_len !== undefined && length > num(rule.max_len)) fail(`got ${length} characters; Envoy allows at most ${num(rule.max_len)}`);
  if (rule.min_bytes !== undefined && bytes < num(rule.min_bytes)) fail(`got ${shown}; Envoy requires at least ${num(rule.min_bytes)} bytes`);
  if (rule.max_bytes !== undefined && bytes > num(rule.max_bytes)) fail(`got ${bytes} bytes; Envoy allows at most ${num(rule.max_bytes)}`);
  if (typeof rule.prefix === 'string' && !value.startsWith(rule.prefix)) fail(`got ${shown}; Envoy requires it to start with ${JSON.stringify(rule.prefix)}`);
  if (typeof rule.suffix === 'string' && !value.endsWith(rule.suffix)) fail(`got ${shown}; Envoy requires it to end with ${JSON.stringify(rule.suffix)}`);
  if (typeof rule.contains === 'string' && !value.includes(rule.contains)) fail(`got ${shown}; Envoy requires it to contain ${JSON.stringify(rule.contains)}`);
  if (typeof rule.not_contains === 'string' && value.includes(rule.not_contains)) fail(`got ${shown}; Envoy requires it not to contain ${JSON.stringify(rule.not_contains)}`);
  if (Array.isArray(rule.in) && !rule.in.includes(value)) fail(`got ${shown}; Envoy requires one of ${rule.in.map((v) => JSON.stringify(v)).join(', ')}`);
  if (Array.isArray(rule.not_in) && rule.not_in.includes(value)) fail(`Envoy does not allow ${shown} here`);
  if (typeof rule.pattern === 'string') {
    let re = patterns.get(rule.pattern);
    if (!re) patterns.set(rule.pattern, (re = RE2JS.compile(rule.pattern)));
    if (!re.matcher(value).find()) fail(`got ${shown}; Envoy requires it to match the pattern ${rule.pattern}`);
  }
  const known = HEADER_REGEX[rule.well_known_regex as keyof typeof HEADER_REGEX];
  if (known && !(rule.strict === false ? known.loose : known.strict).test(value)) fail(`${shown} is not a valid ${known.what}`);
}

function checkBytes(rule: Rule, base64: string, fail: Fail): void {
  const length = Buffer.from(base64, 'base64').length;
  if (rule.min_len !== undefined && length < asNumber(rule.min_len)!) fail(`got ${length} bytes; Envoy requires at least ${String(rule.min_len)}`);
  if (rule.max_len !== undefined && length > asNumber(rule.max_len)!) fail(`got ${length} bytes; Envoy allows at most ${String(rule.max_len)}`);
}

function checkEnum(rule: Rule, type: protobuf.Enum, value: unknown, fail: Fail): void {
  const number = typeof value === 'string' ? type.values[value] : (value as number);
  const shown = typeof value === 'string' ? value : String(value);
  if (rule.defined_only === true && !Object.values(type.values).includes(number!)) fail(`${shown} is not a value of ${type.name}`);
  if (rule.const !== undefined && number !== rule.const) fail(`got ${shown}; Envoy requires ${String(rule.const)}`);
  if (Array.isArray(rule.in) && !rule.in.includes(number)) fail(`Envoy does not accept ${shown} here`);
  if (Array.isArray(rule.not_in) && rule.not_in.includes(number)) fail(`Envoy does not accept ${shown} here`);
}

/** A Duration bound (`{seconds, nanos}`, either may be left out) or JSON value in nanoseconds. */
function nanos(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const m = DURATION.exec(value);
    if (!m) return undefined;
    const n = Number(m[2]) * 1e9 + Number((m[3] ?? '').padEnd(9, '0'));
    return m[1] === '-' ? -n : n;
  }
  const { seconds, nanos: ns } = value as { seconds?: unknown; nanos?: unknown };
  return (asNumber(seconds) ?? 0) * 1e9 + (asNumber(ns) ?? 0);
}

function showNanos(n: number): string {
  const seconds = n / 1e9;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(9).replace(/0+$/, '')}s`;
}

function checkDuration(rule: Rule, value: string, fail: Fail): void {
  const v = nanos(value)!;
  if (rule.const !== undefined && v !== nanos(rule.const)) fail(`got ${value}; Envoy requires ${showNanos(nanos(rule.const)!)}`);
  if (Array.isArray(rule.in) && !rule.in.map(nanos).includes(v)) fail(`got ${value}; Envoy requires one of ${rule.in.map((d) => showNanos(nanos(d)!)).join(', ')}`);
  if (Array.isArray(rule.not_in) && rule.not_in.map(nanos).includes(v)) fail(`Envoy does not allow ${value} here`);
  checkBounds(value, rule, nanos, showNanos, value, fail);
}
