# localmesh/init: the one-shot capture container, run with NET_ADMIN in the proxy's network
# namespace. A shell (dash), iptables (nft and legacy) with their extensions, and capture.sh.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/bin/sh", "/usr/local/bin/capture.sh"]
