# The Node image (tagged as the official node:24-slim, see images.json): Node.js 24 (the project's npm package `node`) and the shared libraries it links,
# on scratch. Runs an app from a mounted folder: `node server.mjs` with working_dir /app.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin
WORKDIR /app
CMD ["node", "server.mjs"]
