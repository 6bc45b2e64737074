import { describe, expect, it } from 'vitest';
import { checkResource, decodeResource, encodeResource, EnvoyConfigError, lookupMessage, toMessage } from '../../../src/envoy/proto.ts';

const LISTENER = {
  name: 'outbound',
  address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
  use_original_dst: true,
  filter_chains: [
    {
      filter_chain_match: { destination_port: 9080 },
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            stat_prefix: 'outbound',
            rds: { route_config_name: 'outbound', config_source: { ads: {}, resource_api_version: 'V3' } },
            stream_idle_timeout: '1.5s',
            http_filters: [
              { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
            ],
          },
        },
      ],
    },
  ],
  metadata: { filter_metadata: { localmesh: { proxy: 'reviews-v1', replicas: 2, tags: ['a', null, true] } } },
};

function errorOf(fn: () => unknown): EnvoyConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvoyConfigError) return e;
    throw e;
  }
  throw new Error('expected an EnvoyConfigError');
}

describe('strict Envoy JSON check', () => {
  it('an unknown field fails with its JSON path and message type', () => {
    const e = errorOf(() => checkResource('clusters', { name: 'c', conect_timeout: '1s' }));
    expect(e.message).toBe('Cluster.conect_timeout: unknown field "conect_timeout" (in envoy.config.cluster.v3.Cluster)');
  });

  it('looks inside Any (by @type) and nested lists', () => {
    const bad = structuredClone(LISTENER) as any;
    bad.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.suppress_envoy_headerz = true;
    const e = errorOf(() => checkResource('listeners', bad));
    expect(e.path).toBe('Listener.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.suppress_envoy_headerz');
    expect(e.typeName).toBe('envoy.extensions.filters.http.router.v3.Router');
  });

  it('rejects bad enums, durations, scalar types, unknown @type and two members of a oneof', () => {
    expect(errorOf(() => checkResource('clusters', { name: 'c', lb_policy: 'FASTEST' })).message).toMatch(/"FASTEST" is not a value of envoy.config.cluster.v3.Cluster.LbPolicy/);
    expect(errorOf(() => checkResource('clusters', { name: 'c', connect_timeout: '1500ms' })).message).toMatch(/duration/);
    expect(errorOf(() => checkResource('clusters', { name: 7 })).message).toMatch(/expected string/);
    expect(errorOf(() => checkResource('clusters', { name: 'c', typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/no.Such' } } })).message).toMatch(
      /unknown type/,
    );
    const both = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', path: '/x' } }] }] };
    expect(errorOf(() => checkResource('routes', both)).message).toMatch(/"(path|prefix)" and "(path|prefix)" are one of "path_specifier"/);
  });

  it('a real listener round-trips through the protobuf encoding', () => {
    const bytes = encodeResource('listeners', LISTENER);
    expect(encodeResource('listeners', LISTENER)).toBe(bytes); // cached per object
    const decoded = decodeResource('listeners', bytes) as any;
    expect(decoded.name).toBe('outbound');
    expect(decoded.address.socket_address.port_value).toBe(15001);
    expect(decoded.filter_chains[0].filters[0].typed_config.type_url).toBe(LISTENER.filter_chains[0]!.filters[0]!.typed_config['@type']);
    // The Any holds the HCM exactly: decode it and compare the fields that have JSON special forms.
    const hcmType = lookupMessage('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    const hcm = hcmType.toObject(hcmType.decode(decoded.filter_chains[0].filters[0].typed_config.value), { longs: Number, enums: String }) as any;
    expect(hcm.stream_idle_timeout).toEqual({ seconds: 1, nanos: 500_000_000 });
    expect(hcm.rds.config_source.resource_api_version).toBe('V3');
    const type = lookupMessage('envoy.config.listener.v3.Listener');
    expect(type.encode(type.decode(bytes)).finish()).toEqual(bytes);
    expect(type.encode(toMessage('envoy.config.listener.v3.Listener', LISTENER)).finish()).toEqual(bytes);
  });

  it('a Struct keeps its values through the protobuf encoding', () => {
    const metadata = { filter_metadata: { x: { s: 'v', n: 2, b: true, l: [1, 'a'], o: { k: null } } } };
    const decoded = decodeResource('clusters', encodeResource('clusters', { name: 'c', metadata })) as any;
    expect(decoded.metadata.filter_metadata.x.fields).toEqual({
      s: { stringValue: 'v' },
      n: { numberValue: 2 },
      b: { boolValue: true },
      l: { listValue: { values: [{ numberValue: 1 }, { stringValue: 'a' }] } },
      o: { structValue: { fields: { k: { nullValue: 'NULL_VALUE' } } } },
    });
  });
});
