#!/usr/bin/env sh
# Test machines only: the entrypoint of the envoyproxy/envoy:v1.40.0 stand-in that
# scripts/docker/standins/build pushes to the local registry standing in for Docker Hub where it
# cannot be reached. Users never run it; they get the official image. Behaves as the official
# ci/docker-entrypoint.sh (envoyproxy/envoy):
#   - arguments that start with '-' are Envoy's: `envoy` goes in front;
#   - for Envoy, $loglevel (when set) adds `--log-level $loglevel`;
#   - started as root with ENVOY_UID other than 0: the envoy user takes ENVOY_UID/ENVOY_GID
#     when given, gets the container's stdout/stderr, and the command runs as that user
#     (su-exec, here Debian's gosu under that name); otherwise the command runs as it is.
set -e
loglevel="${loglevel:-}"
uid=$(id -u)

case "${1-}" in -*) set -- envoy "$@" ;; esac

if [ "${1-}" = envoy ] && [ -n "$loglevel" ]; then
  set -- "$@" --log-level "$loglevel"
fi

if [ "${ENVOY_UID-}" != 0 ] && [ "$uid" = 0 ]; then
  [ -z "${ENVOY_UID-}" ] || usermod -u "$ENVOY_UID" envoy
  [ -z "${ENVOY_GID-}" ] || groupmod -g "$ENVOY_GID" envoy
  chown envoy:envoy /dev/stdout /dev/stderr
  exec su-exec envoy "$@"
fi
exec "$@"
