#!/bin/sh
# Test machines only: the entrypoint of the node:24-bookworm-slim stand-in that
# scripts/docker/standins/build pushes to the local registry standing in for Docker Hub where it
# cannot be reached. Users never run it; they get the official image. Behaves as the official
# image's docker-entrypoint.sh (nodejs/docker-node): the command runs under node when its first
# word is an option (`-e ...`), is not a command found on PATH, or is a file that is not
# executable (a script); otherwise the command runs as given.
set -e
first=${1-}
if [ "${first#-}" != "$first" ] || [ -z "$(command -v "$first")" ] || { [ -f "$first" ] && [ ! -x "$first" ]; }; then
  set -- node "$@"
fi
exec "$@"
