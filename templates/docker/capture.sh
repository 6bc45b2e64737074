#!/bin/sh
# localmesh traffic capture: run once, with NET_ADMIN, in the network namespace of a workload's
# proxy (the init container of each workload, `network_mode: service:<proxy>`), before the app
# starts. Installs in the nat table, as Istio's istio-iptables does:
#   outbound: TCP leaving the namespace → the proxy's 15001, except the proxy's own traffic
#             (uid 1337) and loopback;
#   inbound:  TCP arriving at the namespace → the proxy's 15006, except the proxy's own ports
#             (15000 admin, 15001, 15006, 15021 health, 15090 stats).
# Docker's embedded DNS rules (127.0.0.11, chains DOCKER_OUTPUT/DOCKER_POSTROUTING) are left as
# they are: nothing is flushed but localmesh's own chains, and the jumps to them are appended
# after Docker's. Running it again gives the same rules. IPv4 only (Compose networks are IPv4
# unless enable_ipv6 is set).
set -eu

PROXY_UID=1337
OUTBOUND_PORT=15001
INBOUND_PORT=15006
PROXY_PORTS="15000 15001 15006 15021 15090"

# iptables-nft and iptables-legacy program different kernel tables, and both run: rules split
# over the two would apply in an order nobody chose. So use the variant that holds Docker's DNS
# rules (dockerd wrote them with the host's iptables); nft when neither does.
variant=nft
for v in nft legacy; do
  case "$(iptables-$v-save -t nat 2>/dev/null || true)" in
    *DOCKER_OUTPUT*) variant=$v; break ;;
  esac
done
ipt() { "iptables-$variant" -w -t nat "$@"; }

# Own chains: created, or emptied when this runs again.
for chain in LOCALMESH_OUTPUT LOCALMESH_INBOUND; do
  ipt -N "$chain" 2>/dev/null || ipt -F "$chain"
done

ipt -A LOCALMESH_OUTPUT -o lo -j RETURN
ipt -A LOCALMESH_OUTPUT -d 127.0.0.0/8 -j RETURN
ipt -A LOCALMESH_OUTPUT -m owner --uid-owner "$PROXY_UID" -j RETURN
ipt -A LOCALMESH_OUTPUT -p tcp -j REDIRECT --to-ports "$OUTBOUND_PORT"

for port in $PROXY_PORTS; do
  ipt -A LOCALMESH_INBOUND -p tcp --dport "$port" -j RETURN
done
ipt -A LOCALMESH_INBOUND -p tcp -j REDIRECT --to-ports "$INBOUND_PORT"

# Jumps, appended once (after Docker's `-d 127.0.0.11 -j DOCKER_OUTPUT`).
ipt -C OUTPUT -p tcp -j LOCALMESH_OUTPUT 2>/dev/null || ipt -A OUTPUT -p tcp -j LOCALMESH_OUTPUT
ipt -C PREROUTING -p tcp -j LOCALMESH_INBOUND 2>/dev/null || ipt -A PREROUTING -p tcp -j LOCALMESH_INBOUND

echo "localmesh capture: iptables-$variant, outbound TCP -> $OUTBOUND_PORT (except uid $PROXY_UID and loopback), inbound TCP -> $INBOUND_PORT (except $PROXY_PORTS)"
"iptables-$variant-save" -t nat
