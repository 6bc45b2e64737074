// The ADS wire format: what a DiscoveryRequest from Envoy decodes to, node metadata included
// (Envoy sends it as a google.protobuf.Struct).
import { describe, expect, it } from 'vitest';
import { envoyRoot } from '../../../src/envoy/proto.ts';
import { TYPE_URLS } from '../../../src/envoy/snapshot.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, kindOf } from '../../../src/xds/messages.ts';

const Request = () => envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
const encode = (fields: object) => Request().encode(Request().fromObject(fields)).finish();

describe('decodeRequest', () => {
  it('reads the node with its metadata as plain JSON', () => {
    const bytes = encode({
      node: {
        id: 'reviews-v1',
        cluster: 'reviews',
        metadata: {
          fields: {
            service: { stringValue: 'reviews' },
            replicas: { numberValue: 2 },
            meshed: { boolValue: true },
            labels: { structValue: { fields: { version: { stringValue: 'v1' } } } },
            ports: { listValue: { values: [{ numberValue: 9080 }, { stringValue: 'http' }] } },
            none: { nullValue: 0 },
            empty: { listValue: {} },
          },
        },
      },
      type_url: TYPE_URLS.clusters,
    });
    expect(decodeRequest(bytes)).toEqual({
      version_info: '',
      node: {
        id: 'reviews-v1',
        cluster: 'reviews',
        metadata: { service: 'reviews', replicas: 2, meshed: true, labels: { version: 'v1' }, ports: [9080, 'http'], none: null, empty: [] },
      },
      resource_names: [],
      type_url: TYPE_URLS.clusters,
      response_nonce: '',
    });
  });

  it('reads a later request (no node) with its ACK fields, and a NACK with its error', () => {
    const bytes = encode({
      version_info: 'v2',
      resource_names: ['a', 'b'],
      type_url: TYPE_URLS.endpoints,
      response_nonce: '7',
      error_detail: { code: 3, message: 'bad cluster' },
    });
    expect(decodeRequest(bytes)).toEqual({
      version_info: 'v2',
      resource_names: ['a', 'b'],
      type_url: TYPE_URLS.endpoints,
      response_nonce: '7',
      error_detail: { code: 3, message: 'bad cluster' },
    });
    expect(decodeRequest(encode({ node: { id: 'p1' }, error_detail: {} }))).toEqual({
      version_info: '',
      node: { id: 'p1', cluster: '', metadata: {} },
      resource_names: [],
      type_url: '',
      response_nonce: '',
      error_detail: { code: 0, message: '' },
    });
  });

  it('round-trips what a client encodes, and responses too', () => {
    const req = { version_info: 'v', node: { id: 'p', cluster: 'c', metadata: {} }, resource_names: ['x'], type_url: TYPE_URLS.routes, response_nonce: 'n' };
    expect(decodeRequest(encodeRequest(req))).toEqual(req);
    const res = { version_info: 'v', resources: [{ type_url: TYPE_URLS.routes, value: new Uint8Array([1, 2]) }], type_url: TYPE_URLS.routes, nonce: 'n' };
    expect(decodeResponse(encodeResponse(res))).toMatchObject({ version_info: 'v', nonce: 'n', type_url: TYPE_URLS.routes });
  });

  it('encodes a response whose resources were encoded before for another response byte for byte as protobufjs does the whole', () => {
    const resources = [1, 2, 3].map((i) => ({ type_url: TYPE_URLS.clusters, value: new Uint8Array([i, i + 1]) }));
    const whole = (r: object) => Buffer.from(envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse').encode(r).finish());
    for (const nonce of ['1', '2']) {
      const res = { version_info: `v${nonce}`, resources, type_url: TYPE_URLS.clusters, nonce, control_plane: { identifier: 'localmesh' } };
      const bytes = encodeResponse(res);
      expect(decodeResponse(bytes)).toEqual(decodeResponse(whole(res)));
      expect(decodeResponse(bytes).resources.map((r) => [...r.value])).toEqual([[1, 2], [2, 3], [3, 4]]);
    }
  });
});

describe('kindOf', () => {
  it('knows the five types localmesh serves (SDS included) and no other', () => {
    expect(kindOf(TYPE_URLS.listeners)).toBe('listeners');
    expect(kindOf('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret')).toBe('secrets');
    expect(kindOf('type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig')).toBeUndefined();
  });
});
