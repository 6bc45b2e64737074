# localmesh/init: the one image of localmesh's own, built by `mesh up` on first use (and again
# when this file or capture.sh changes: the tag carries their hash). It plays two parts in each
# pod: the namespace holder (`sleep infinity`, the part of Kubernetes' pause container) and the
# capture step (capture.sh with NET_ADMIN, once). Debian's iptables (nft and legacy) on the
# official Debian image; the base image's own apt sources, nothing else fetched.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
COPY capture.sh /usr/local/bin/capture.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/capture.sh"]
