// A simulated Envoy for bench/scale: one ADS stream (state of the world) on its own gRPC
// connection, speaking the protocol as Envoy does. The first request carries the node (id,
// cluster, metadata); RTDS names the runtime layer `localmesh`; CDS and LDS are wildcard subscriptions; a CDS response whose clusters are
// of type EDS subscribes EDS to their names, an LDS response whose listeners name route
// configurations (HTTP connection manager `rds`) subscribes RDS to those. Each response is
// decoded against Envoy's protos and ACKed (version and nonce) or, if a resource does not decode,
// NACKed with the last good version and error_detail. Records when it ACKed each version.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { RUNTIME_LAYER } from '../../src/compile/runtime.ts';
import { envoyRoot } from '../../src/envoy/proto.ts';
import { TYPE_URLS, type ResourceKind } from '../../src/envoy/snapshot.ts';
import { adsService, decodeResponse, kindOf, type DiscoveryRequest, type DiscoveryResponse } from '../../src/xds/messages.ts';

export interface Node {
  id: string;
  cluster: string;
  metadata: Record<string, string>;
}

export interface Ack {
  kind: ResourceKind;
  version: string;
  at: number;
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

let types: { request: protobuf.Type; listener: protobuf.Type; cluster: protobuf.Type; hcm: protobuf.Type; any: Map<string, protobuf.Type> } | undefined;
function protoTypes(): NonNullable<typeof types> {
  if (!types) {
    const root = envoyRoot();
    const lookup = (url: string) => root.lookupType(url.slice(url.lastIndexOf('/') + 1));
    types = {
      request: root.lookupType('envoy.service.discovery.v3.DiscoveryRequest'),
      listener: lookup(TYPE_URLS.listeners),
      cluster: lookup(TYPE_URLS.clusters),
      hcm: lookup(HCM),
      any: new Map(Object.values(TYPE_URLS).map((url) => [url, lookup(url)])),
    };
  }
  return types;
}

/** The DiscoveryRequest encoder, with node metadata as a google.protobuf.Struct (src/xds/messages.ts leaves it out). */
function encodeRequest(req: DiscoveryRequest & { node?: Node }): Buffer {
  const { request } = protoTypes();
  const node = req.node && {
    id: req.node.id,
    cluster: req.node.cluster,
    metadata: { fields: Object.fromEntries(Object.entries(req.node.metadata).map(([k, v]) => [k, { stringValue: v }])) },
    user_agent_name: 'envoy',
  };
  return Buffer.from(request.encode(request.fromObject({ ...req, node })).finish());
}

/** What a resource asks the client to subscribe to, per resource bytes (shared resources are decoded once). */
const decoded = new Map<string, { rds?: string[]; eds?: string }>();

function inspect(typeUrl: string, bytes: Uint8Array): { rds?: string[]; eds?: string } {
  const key = `${typeUrl} ${createHash('sha1').update(bytes).digest('base64')}`;
  let found = decoded.get(key);
  if (found) return found;
  const t = protoTypes();
  const type = t.any.get(typeUrl);
  if (!type) throw new Error(`unexpected resource type ${typeUrl}`);
  const message = type.toObject(type.decode(bytes), { enums: String, longs: Number, arrays: true }) as Record<string, unknown>;
  found = {};
  if (typeUrl === TYPE_URLS.listeners) {
    found.rds = [];
    const chains = [...((message.filter_chains as unknown[]) ?? []), ...(message.default_filter_chain ? [message.default_filter_chain] : [])];
    for (const chain of chains as Array<{ filters?: Array<{ typed_config?: { type_url: string; value: Uint8Array } }> }>) {
      for (const filter of chain.filters ?? []) {
        if (filter.typed_config?.type_url !== HCM) continue;
        const hcm = t.hcm.toObject(t.hcm.decode(filter.typed_config.value)) as { rds?: { route_config_name?: string } };
        if (hcm.rds?.route_config_name) found.rds.push(hcm.rds.route_config_name);
      }
    }
  } else if (typeUrl === TYPE_URLS.clusters && message.type === 'EDS') {
    const eds = message.eds_cluster_config as { service_name?: string } | undefined;
    found.eds = eds?.service_name || String(message.name);
  }
  decoded.set(key, found);
  return found;
}

const Client = grpc.makeGenericClientConstructor(
  { StreamAggregatedResources: { ...adsService.StreamAggregatedResources, requestSerialize: encodeRequest, responseDeserialize: decodeResponse } },
  'AggregatedDiscoveryService',
);

type AdsClient = grpc.Client & { StreamAggregatedResources(): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> };

interface TypeState {
  /** Names subscribed to; undefined for a wildcard type. */
  names?: string[];
  /** The version last ACKed ('' before the first). */
  version: string;
  nonce: string;
  requested: boolean;
}

export class SimulatedEnvoy {
  readonly node: Node;
  readonly acks: Ack[] = [];
  readonly nacks: Array<{ kind: ResourceKind; version: string; message: string }> = [];
  /** The version ACKed per type. */
  readonly acked = new Map<ResourceKind, string>();
  #client: AdsClient;
  #call?: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  #types = new Map<ResourceKind, TypeState>();
  #sentNode = false;
  #listeners = new Set<() => void>();
  error?: Error;

  constructor(address: string, node: Node) {
    this.node = node;
    // Its own subchannel pool: one HTTP/2 connection per proxy, as each Envoy has.
    this.#client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as AdsClient;
  }

  /** Opens the stream: the runtime layer (RTDS, as the bootstrap's layered runtime asks first), then CDS and LDS, wildcard. */
  start(): void {
    const call = this.#client.StreamAggregatedResources();
    this.#call = call;
    call.on('data', (res: DiscoveryResponse) => this.#onResponse(res));
    call.on('error', (error: grpc.ServiceError) => {
      if (error.code !== grpc.status.CANCELLED) this.error = error;
      this.#notify();
    });
    this.#subscribe('runtime', [RUNTIME_LAYER]);
    this.#subscribe('clusters');
    this.#subscribe('listeners');
  }

  /** Calls `fn` after every ACK or NACK (and on error) until it returns true. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = () => {
        if (check()) {
          this.#listeners.delete(listener);
          resolve();
        }
      };
      this.#listeners.add(listener);
    });
  }

  close(): void {
    this.#call?.cancel();
    this.#client.close();
  }

  #notify(): void {
    for (const fn of [...this.#listeners]) fn();
  }

  #subscribe(kind: ResourceKind, names?: string[]): void {
    const state = this.#types.get(kind);
    if (state && JSON.stringify(state.names) === JSON.stringify(names)) return;
    const next: TypeState = state ? { ...state, names } : { version: '', nonce: '', names, requested: true };
    this.#types.set(kind, next);
    this.#send(kind, next);
  }

  #send(kind: ResourceKind, state: TypeState, error?: string): void {
    const req: DiscoveryRequest & { node?: Node } = {
      version_info: state.version,
      resource_names: state.names ?? [],
      type_url: TYPE_URLS[kind],
      response_nonce: state.nonce,
      ...(error ? { error_detail: { code: 3, message: error } } : {}),
    };
    if (!this.#sentNode) {
      req.node = this.node;
      this.#sentNode = true;
    }
    this.#call!.write(req);
  }

  #onResponse(res: DiscoveryResponse): void {
    const kind = kindOf(res.type_url);
    const state = kind && this.#types.get(kind);
    if (!kind || !state) return;
    let wants: Array<{ rds?: string[]; eds?: string }>;
    try {
      wants = res.resources.map((r) => inspect(r.type_url, r.value));
    } catch (error) {
      state.nonce = res.nonce;
      this.nacks.push({ kind, version: res.version_info, message: (error as Error).message });
      this.#send(kind, state, (error as Error).message);
      this.#notify();
      return;
    }
    // As Envoy: the dependent subscription goes out before the ACK of the type that named it.
    if (kind === 'clusters') {
      const eds = wants.flatMap((w) => (w.eds ? [w.eds] : [])).sort();
      if (eds.length > 0 || this.#types.has('endpoints')) this.#subscribe('endpoints', eds);
    }
    if (kind === 'listeners') {
      const rds = [...new Set(wants.flatMap((w) => w.rds ?? []))].sort();
      if (rds.length > 0 || this.#types.has('routes')) this.#subscribe('routes', rds);
    }
    state.version = res.version_info;
    state.nonce = res.nonce;
    this.#send(kind, state);
    this.acked.set(kind, res.version_info);
    this.acks.push({ kind, version: res.version_info, at: Date.now() });
    this.#notify();
  }

  /** The types this proxy subscribes to. */
  get subscribed(): ResourceKind[] {
    return [...this.#types.keys()];
  }
}
