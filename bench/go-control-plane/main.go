// go-control-plane serving the snapshots localmesh compiled, for bench/scale: the reference Go
// implementation of the xDS protocol (its snapshot cache and ADS server) beside `mesh control`.
// Prints "listening PORT" once the ADS server is up. Reads lines from stdin, each the path of an
// export (bench/scale/export.ts: the resources in Envoy's JSON form, each once, and per proxy the
// resources of each type and their version); for each it parses the JSON into Envoy's protos,
// sets a snapshot per proxy and prints "set VERSION".
//
//	go run . [--port 0]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	runtimev3 "github.com/envoyproxy/go-control-plane/envoy/service/runtime/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	// The types inside the resources' Any fields, as localmesh's compiler writes them.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/grpc/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/bootstrap/internal_listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// export is bench/scale/export.ts's file.
type export struct {
	Version   string                     `json:"version"`
	Resources []json.RawMessage          `json:"resources"`
	Proxies   map[string]map[string]list `json:"proxies"`
}

type list struct {
	Version   string `json:"version"`
	Resources []int  `json:"resources"`
}

var kinds = map[string]struct {
	index types.ResponseType
	new   func() proto.Message
}{
	"listeners": {types.Listener, func() proto.Message { return &listenerv3.Listener{} }},
	"routes":    {types.Route, func() proto.Message { return &routev3.RouteConfiguration{} }},
	"clusters":  {types.Cluster, func() proto.Message { return &clusterv3.Cluster{} }},
	"endpoints": {types.Endpoint, func() proto.Message { return &endpointv3.ClusterLoadAssignment{} }},
	"secrets":   {types.Secret, func() proto.Message { return &tlsv3.Secret{} }},
	"runtime":   {types.Runtime, func() proto.Message { return &runtimev3.Runtime{} }},
}

func load(path string, snapshots cachev3.SnapshotCache) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var e export
	if err := json.Unmarshal(data, &e); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	// Each resource parsed once per type it is used as, and shared by every proxy that has it.
	parsed := map[string][]types.Resource{}
	for kind := range kinds {
		parsed[kind] = make([]types.Resource, len(e.Resources))
	}
	for id, kindsOf := range e.Proxies {
		snapshot := &cachev3.Snapshot{}
		for kind, l := range kindsOf {
			k, ok := kinds[kind]
			if !ok {
				return "", fmt.Errorf("%s: unknown resource kind %q", path, kind)
			}
			items := make([]types.Resource, 0, len(l.Resources))
			for _, i := range l.Resources {
				if parsed[kind][i] == nil {
					m := k.new()
					if err := protojson.Unmarshal(e.Resources[i], m); err != nil {
						return "", fmt.Errorf("%s: %s %d of %s: %w", path, kind, i, id, err)
					}
					parsed[kind][i] = m
				}
				items = append(items, parsed[kind][i])
			}
			snapshot.Resources[k.index] = cachev3.NewResources(l.Version, items)
		}
		if err := snapshots.SetSnapshot(context.Background(), id, snapshot); err != nil {
			return "", err
		}
	}
	return e.Version, nil
}

func main() {
	port := flag.Int("port", 0, "port of the ADS server (0 picks a free one)")
	flag.Parse()
	snapshots := cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)
	server := serverv3.NewServer(context.Background(), snapshots, nil)
	grpcServer := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(grpcServer, server)
	lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = grpcServer.Serve(lis) }()
	fmt.Printf("listening %d\n", lis.Addr().(*net.TCPAddr).Port)
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		version, err := load(lines.Text(), snapshots)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("set %s\n", version)
	}
}
