// The ADS gRPC server: envoy.service.discovery.v3.AggregatedDiscoveryService on @grpc/grpc-js,
// state of the world only (DeltaAggregatedResources answers UNIMPLEMENTED). Each stream is an
// AdsStream fed from the snapshot cache; status and events come from the StatusBoard.
import * as grpc from '@grpc/grpc-js';
import { accessLogService, type AccessLogMessage, type TapEntry } from './access-log.ts';
import type { SnapshotCache } from './cache.ts';
import { traceService, type Span } from './trace-service.ts';
import { adsService, type DiscoveryRequest, type DiscoveryResponse } from './messages.ts';
import { StatusBoard, type XdsListener } from './status.ts';
import { AdsStream, XdsProtocolError } from './stream.ts';
import type { ProxyStatus } from './types.ts';

export interface XdsServerOptions {
  cache: SnapshotCache;
  /** Address to bind; 127.0.0.1 unless given (0.0.0.0 in a container). */
  host?: string;
  /** 0 picks a free port (read it back from `port`). */
  port: number;
  /** The requests proxies log over the access log service (ALS) on the same port. */
  onAccessLog?(entries: TapEntry[]): void;
  /** The spans proxies export over OTLP (TraceService/Export) on the same port. */
  onSpans?(spans: Span[]): void;
}

export interface XdsServer {
  port: number;
  /** Every proxy with a snapshot or a connection, sorted by id. */
  status(): ProxyStatus[];
  /** Hear every XdsEvent from now on; returns the unsubscribe. */
  subscribe(fn: XdsListener): () => void;
  /** Stop at once: every stream ends (proxies keep their config and reconnect to the next server). */
  close(): Promise<void>;
}

export async function startXdsServer(options: XdsServerOptions): Promise<XdsServer> {
  const { cache, host = '127.0.0.1' } = options;
  const board = new StatusBoard(cache);
  let nonces = 0;
  const streams = new Set<() => void>();
  const server = new grpc.Server();

  server.addService(adsService, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      let closed = false;
      const send = (response: DiscoveryResponse) => {
        // Stryker disable next-line ConditionalExpression: close() unwatches the cache in the same tick, so nothing is sent after it
        if (!closed) call.write(response);
      };
      // Stryker disable next-line UpdateOperator: counting down gives unique nonces too
      const stream = new AdsStream({ cache, board, send, nonce: () => String(++nonces) });
      const close = () => {
        if (closed) return;
        closed = true;
        // Stryker disable next-line CallExpression: only frees memory; close() of a closed stream returns at once
        streams.delete(close);
        stream.close();
      };
      streams.add(close);
      call.on('data', (req: DiscoveryRequest) => {
        if (closed) return;
        try {
          stream.onRequest(req);
        } catch (error) {
          close();
          const code = error instanceof XdsProtocolError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
          call.emit('error', { code, details: (error as Error).message });
        }
      });
      call.on('end', () => {
        close();
        call.end();
      });
      call.on('error', close);
      call.on('cancelled', close);
      call.on('close', close);
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'localmesh serves state-of-the-world ADS only (StreamAggregatedResources)' });
    },
  });

  const onAccessLog = options.onAccessLog;
  if (onAccessLog) {
    server.addService(accessLogService, {
      StreamAccessLogs: (call: grpc.ServerReadableStream<AccessLogMessage, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        // The identifier comes in the stream's first message only.
        let proxy = '';
        let listener = '';
        call.on('data', (m: AccessLogMessage) => {
          proxy = m.proxy ?? proxy;
          listener = m.logName ?? listener;
          if (m.entries.length) onAccessLog(m.entries.map((e) => ({ ...e, proxy, listener })));
        });
        call.on('end', () => callback(null, Buffer.alloc(0)));
        call.on('error', () => undefined);
      },
    });
  }

  const onSpans = options.onSpans;
  if (onSpans) {
    server.addService(traceService, {
      Export: (call: grpc.ServerUnaryCall<Span[], Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        if (call.request.length) onSpans(call.request);
        callback(null, Buffer.alloc(0));
      },
    });
  }

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );

  return {
    port,
    status: () => board.status(),
    subscribe: (fn) => board.subscribe(fn),
    close: async () => {
      for (const close of [...streams]) close();
      server.forceShutdown();
    },
  };
}
