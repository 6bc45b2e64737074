# localmesh/control: the control plane (`mesh control`), the repo's bin/ and src/ with the
# production node_modules, on localmesh/node. The mesh directory is mounted at /mesh.
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
COPY app/ /opt/localmesh/
WORKDIR /mesh
ENTRYPOINT ["node", "/opt/localmesh/bin/mesh.js"]
CMD ["control", "--dir", "/mesh"]
