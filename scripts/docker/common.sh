# Sourced by scripts/docker/*: the cache folder outside the repo, progress lines with timings.
if [ "$(id -u)" = 0 ]; then LOCALMESH_CACHE="${LOCALMESH_CACHE:-/var/cache/localmesh}"
else LOCALMESH_CACHE="${LOCALMESH_CACHE:-$HOME/.cache/localmesh}"; fi
mkdir -p "$LOCALMESH_CACHE"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { echo "${LOG_PREFIX:-docker}: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f s", b-a}'; }
step_start=0
begin() { step_start=$(now); log "$1..."; }
done_() { log "$1 ($(since "$step_start"))"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# The local registry that stands in for Docker Hub on test machines (scripts/docker/setup starts
# it as dockerd's registry mirror; scripts/docker/standins fill it). Users never run it.
LOCALMESH_REGISTRY="${LOCALMESH_REGISTRY:-127.0.0.1:5000}"
