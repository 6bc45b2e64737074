// Envoy's v3 API as protobuf types, and a strict reader of Envoy's JSON config form: a field the
// proto does not have, or a value breaking one of Envoy's validation rules (constraints.ts), is an
// error naming its JSON path and message type, so a mistake in the compiler fails here, not as a
// NACK from a running proxy. Also encodes resources for xDS.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { at, EnvoyConfigError } from './config-error.ts';
import { checkFieldRules, checkMessageRules, messageRules } from './constraints.ts';
import { DURATION, WRAPPERS } from './well-known.ts';
import { RESOURCE_KINDS, TYPE_URLS, type EnvoyJson, type ResourceKind } from './snapshot.ts';

export { EnvoyConfigError } from './config-error.ts';

const require = createRequire(import.meta.url);
const XDS_DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const INCLUDE_DIRS = [
  join(XDS_DEPS, 'envoy-api'),
  join(XDS_DEPS, 'xds'),
  join(XDS_DEPS, 'googleapis'),
  join(XDS_DEPS, 'protoc-gen-validate'),
  dirname(require.resolve('protobufjs/package.json')),
];

/** Every message type the compiler writes, directly or inside an Any. */
const PROTO_FILES = [
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy.proto',
  'envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/bootstrap/internal_listener/v3/internal_listener.proto',
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/runtime/v3/rtds.proto',
  'envoy/extensions/access_loggers/grpc/v3/als.proto',
  'envoy/service/accesslog/v3/als.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
];

/** The message type of each resource kind, from its type URL. */
const MESSAGE_NAMES = Object.fromEntries(
  RESOURCE_KINDS.map((kind) => [kind, TYPE_URLS[kind].slice(TYPE_URLS[kind].lastIndexOf('/') + 1)]),
) as Record<ResourceKind, string>;

let root: protobuf.Root | undefined;

/** The Envoy API, loaded on first use (about 200 ms). */
export function envoyRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => {
      for (const dir of INCLUDE_DIRS) {
        const file = join(dir, target);
        if (existsSync(file)) return file;
      }
      return target;
    };
    r.loadSync(PROTO_FILES, { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

export function lookupMessage(name: string): protobuf.Type {
  return envoyRoot().lookupType(name);
}

const INTEGER = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

type PlainObject = { [key: string]: unknown };

function isObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const typeNames = new Map<protobuf.Type, string>();

/**
 * Envoy JSON → the object form protobufjs `fromObject` takes (Any packed to bytes, Duration as
 * seconds/nanos, wrappers and Struct expanded), checking every field against the proto. With
 * `pack` false it only checks: nothing is built (the compiler checks every resource this way).
 */
function fromJson(type: protobuf.Type, json: unknown, pack: boolean): PlainObject | undefined {
  let name = typeNames.get(type);
  if (name === undefined) typeNames.set(type, (name = type.fullName.slice(1)));
  const fail = (detail: string): never => {
    throw new EnvoyConfigError('', name, detail);
  };
  switch (name) {
    case 'google.protobuf.Any': {
      if (!isObject(json) || typeof json['@type'] !== 'string') return fail('an Any needs "@type"');
      const url = json['@type'] as string;
      const inner = lookupMessageOrUndefined(url.slice(url.lastIndexOf('/') + 1));
      if (!inner) return fail(`unknown type ${url}`);
      const { '@type': _, ...rest } = json;
      const object = fromJson(inner, rest, pack);
      return pack ? { type_url: url, value: inner.encode(inner.fromObject(object!)).finish() } : undefined;
    }
    case 'google.protobuf.Duration': {
      const m = typeof json === 'string' ? DURATION.exec(json) : null;
      if (!m) return fail(`a duration must be a string such as "1.5s", got ${JSON.stringify(json)}`);
      const sign = m[1] === '-' ? -1 : 1;
      return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
    }
    case 'google.protobuf.Struct':
      if (!isObject(json)) return fail('a Struct must be an object');
      return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, structValue(v)])) };
    case 'google.protobuf.Value':
      return structValue(json);
  }
  if (WRAPPERS.has(name)) return { value: scalar(type.fields['value']!, json, name) };
  if (!isObject(json)) return fail(`expected an object, got ${JSON.stringify(json)}`);
  const out: PlainObject | undefined = pack ? {} : undefined;
  const rules = messageRules(type);
  for (const key in json) {
    const value = json[key];
    const field = type.fields[key];
    if (!field) throw new EnvoyConfigError(key, name, `unknown field "${key}"`);
    if (field.partOf) {
      const others = field.partOf.oneof.filter((o) => o !== key && json[o] !== undefined);
      if (others.length > 0) throw new EnvoyConfigError(key, name, `"${key}" and "${others[0]}" are one of "${field.partOf.name}"`);
    }
    const read = at(key, () => fieldValue(field, value, name, pack));
    if (rules) at(key, () => checkFieldRules(rules, key, value));
    if (out) out[key] = read;
  }
  if (rules) checkMessageRules(rules, json);
  return out;
}

function fieldValue(field: protobuf.Field, value: unknown, typeName: string, pack: boolean): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isObject(value)) throw new EnvoyConfigError('', typeName, 'a map must be an object');
    const out: PlainObject = {};
    for (const k in value) out[k] = at(k, () => single(field, value[k], typeName, pack));
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new EnvoyConfigError('', typeName, 'expected a list');
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(at(`[${i}]`, () => single(field, value[i], typeName, pack)));
    return out;
  }
  return single(field, value, typeName, pack);
}

function single(field: protobuf.Field, value: unknown, typeName: string, pack: boolean): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return fromJson(resolved, value, pack);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (typeof value === 'number' && Object.values(resolved.values).includes(value)) return value;
    throw new EnvoyConfigError('', typeName, `${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)}`);
  }
  return scalar(field, value, typeName);
}

function scalar(field: protobuf.Field, value: unknown, typeName: string): unknown {
  const fail = (): never => {
    throw new EnvoyConfigError('', typeName, `expected ${field.type}, got ${JSON.stringify(value)}`);
  };
  const t = field.type;
  if (t === 'string') return typeof value === 'string' ? value : fail();
  if (t === 'bool') return typeof value === 'boolean' ? value : fail();
  if (t === 'bytes') return typeof value === 'string' ? Buffer.from(value, 'base64') : fail();
  if (t === 'double' || t === 'float') return typeof value === 'number' ? value : fail();
  if (INTEGER.has(t)) return Number.isInteger(value) && (!t.startsWith('u') || (value as number) >= 0) ? value : fail();
  if (LONG.has(t)) {
    const ok = Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value));
    return ok ? value : fail();
  }
  return fail();
}

function structValue(json: unknown): PlainObject {
  if (json === null) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(structValue) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(json as PlainObject).map(([k, v]) => [k, structValue(v)])) } };
}

const byTypeName = new Map<string, protobuf.Type | undefined>();

function lookupMessageOrUndefined(name: string): protobuf.Type | undefined {
  if (!byTypeName.has(name)) {
    const found = envoyRoot().lookup(name);
    byTypeName.set(name, found instanceof protobuf.Type ? found : undefined);
  }
  return byTypeName.get(name);
}

/** Check Envoy JSON against a message type; the object protobufjs builds the message from. */
function checked(typeName: string, json: EnvoyJson, pack: boolean): PlainObject | undefined {
  return at(typeName.slice(typeName.lastIndexOf('.') + 1), () => fromJson(lookupMessage(typeName), json, pack));
}

/** Check Envoy JSON against a message type and build its protobuf message. Throws EnvoyConfigError. */
export function toMessage(typeName: string, json: EnvoyJson): protobuf.Message {
  return lookupMessage(typeName).fromObject(checked(typeName, json, true)!);
}

const valid = new WeakSet<EnvoyJson>();
const encoded = new WeakMap<EnvoyJson, Uint8Array>();

/** Throw EnvoyConfigError unless the resource is valid Envoy JSON for its kind; once per object. */
export function checkResource(kind: ResourceKind, value: EnvoyJson): void {
  if (valid.has(value)) return;
  checked(MESSAGE_NAMES[kind], value, false);
  valid.add(value);
}

/** The protobuf encoding of a resource (the `value` of the Any in a DiscoveryResponse); cached per object. */
export function encodeResource(kind: ResourceKind, value: EnvoyJson): Uint8Array {
  let bytes = encoded.get(value);
  if (!bytes) {
    const name = MESSAGE_NAMES[kind];
    bytes = lookupMessage(name).encode(toMessage(name, value)).finish();
    encoded.set(value, bytes);
    valid.add(value);
  }
  return bytes;
}

/** Decode bytes back to Envoy's JSON form (for tests and debugging). */
export function decodeResource(kind: ResourceKind, bytes: Uint8Array): PlainObject {
  const type = lookupMessage(MESSAGE_NAMES[kind]);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, defaults: false }) as PlainObject;
}

