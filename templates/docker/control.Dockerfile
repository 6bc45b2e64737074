# localmesh/control: the control plane (`mesh control`), the repo's bin/ and src/ with the
# production node_modules, on localmesh/node; the mesh directory is mounted at /mesh. The
# context is two tar files staged by scripts/docker/build-images: packages first, so an edit to
# src/ rebuilds only the last, small layer.
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
ADD node_modules.tar /opt/localmesh/
ADD app.tar /opt/localmesh/
WORKDIR /mesh
ENTRYPOINT ["node", "/opt/localmesh/bin/mesh.js"]
CMD ["control", "--dir", "/mesh"]
