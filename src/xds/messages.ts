// The ADS wire format: DiscoveryRequest/DiscoveryResponse as protobufjs types from the Envoy API,
// and the gRPC method definitions of envoy.service.discovery.v3.AggregatedDiscoveryService for
// @grpc/grpc-js (server and test clients alike).
import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { envoyRoot } from '../envoy/proto.ts';
import { RESOURCE_KINDS, TYPE_URLS, type ResourceKind } from '../envoy/snapshot.ts';

export interface NodeInfo {
  id: string;
  cluster: string;
  /** The node's metadata Struct as plain JSON. */
  metadata: Record<string, unknown>;
}

export interface DiscoveryRequest {
  version_info: string;
  /** Set on the first request of a stream (Envoy may leave it out afterwards). */
  node?: NodeInfo;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  /** Present on a NACK. */
  error_detail?: { code: number; message: string };
}

export interface DiscoveryResponse {
  version_info: string;
  resources: Array<{ type_url: string; value: Uint8Array }>;
  type_url: string;
  nonce: string;
  control_plane?: { identifier: string };
}

// Stryker disable next-line StringLiteral: protobufjs also finds the types by their short names (no other DiscoveryRequest is loaded)
const DISCOVERY = 'envoy.service.discovery.v3.';
let types: { request: protobuf.Type; response: protobuf.Type } | undefined;

function messageTypes(): { request: protobuf.Type; response: protobuf.Type } {
  types ??= {
    request: envoyRoot().lookupType(`${DISCOVERY}DiscoveryRequest`),
    response: envoyRoot().lookupType(`${DISCOVERY}DiscoveryResponse`),
  };
  return types;
}

type Decoded = { [key: string]: unknown };

export function decodeRequest(bytes: Uint8Array): DiscoveryRequest {
  const { request } = messageTypes();
  const m = request.toObject(request.decode(bytes), { arrays: true, longs: Number }) as Decoded;
  const node = m.node as Decoded | undefined;
  const error = m.error_detail as { code?: number; message?: string } | undefined;
  return {
    version_info: (m.version_info as string | undefined) ?? '',
    ...(node?.id !== undefined
      ? { node: { id: String(node.id), cluster: String(node.cluster ?? ''), metadata: structToJson(node.metadata) } }
      : {}),
    // Stryker disable next-line ArrayDeclaration: toObject({ arrays: true }) always sets repeated fields; the default is never used
    resource_names: (m.resource_names as string[] | undefined) ?? [],
    type_url: (m.type_url as string | undefined) ?? '',
    response_nonce: (m.response_nonce as string | undefined) ?? '',
    ...(error ? { error_detail: { code: error.code ?? 0, message: error.message ?? '' } } : {}),
  };
}

/** For clients (tests): node metadata is left out. */
export function encodeRequest(req: DiscoveryRequest): Buffer {
  const { request } = messageTypes();
  const node = req.node ? { id: req.node.id, cluster: req.node.cluster } : undefined;
  return Buffer.from(request.encode(request.fromObject({ ...req, node })).finish());
}

const encodedResources = new WeakMap<DiscoveryResponse['resources'], Uint8Array>();

/**
 * The resources are encoded once per array (the stream gives every response with the same
 * resources the same array) and the rest of the response after them: protobuf reads the fields
 * of a message in any order, and the two parts concatenated are the one message.
 */
export function encodeResponse(res: DiscoveryResponse): Buffer {
  const { response } = messageTypes();
  let resources = encodedResources.get(res.resources);
  if (!resources) {
    resources = response.encode({ resources: res.resources }).finish();
    // Stryker disable next-line CallExpression: the cache only saves time
    encodedResources.set(res.resources, resources);
  }
  return Buffer.concat([response.encode({ ...res, resources: [] }).finish(), resources]);
}

export function decodeResponse(bytes: Uint8Array): DiscoveryResponse {
  const { response } = messageTypes();
  const m = response.toObject(response.decode(bytes), { arrays: true, defaults: true }) as DiscoveryResponse;
  return m;
}

/** The resource kind of a type URL, undefined for types localmesh does not serve. */
export function kindOf(typeUrl: string): ResourceKind | undefined {
  return RESOURCE_KINDS.find((k) => TYPE_URLS[k] === typeUrl);
}

/** google.protobuf.Struct (as protobufjs decodes it: camelCase Value fields) → plain JSON. */
function structToJson(struct: unknown): Record<string, unknown> {
  const fields = (struct as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function valueToJson(value: unknown): unknown {
  const v = (value ?? {}) as Decoded;
  if (v.structValue !== undefined) return structToJson(v.structValue);
  // Stryker disable next-line ArrayDeclaration: toObject({ arrays: true }) always sets repeated fields; the default is never used
  if (v.listValue !== undefined) return ((v.listValue as { values?: unknown[] }).values ?? []).map(valueToJson);
  return v.stringValue ?? v.numberValue ?? v.boolValue ?? null;
}

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const identity = (b: Buffer): Buffer => b;

/** AggregatedDiscoveryService for grpc-js: state of the world typed, delta as raw bytes (not served). */
export const adsService = {
  StreamAggregatedResources: {
    path: `${ADS_PATH}StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  DeltaAggregatedResources: {
    path: `${ADS_PATH}DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;
