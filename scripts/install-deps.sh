#!/usr/bin/env bash
# Installs the Debian packages Plugboard builds, tests and benchmarks with.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing. Usage: install-deps.sh [build|bench]
set -euo pipefail

build_pkgs=(
  cmake g++ make pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev
  libpoco-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libpq-dev libssl-dev libsqlite3-dev
  libgtest-dev python3-aiosmtpd
  postgresql util-linux  # a private PostgreSQL cluster for the store and *_pg tests (initdb, setpriv)
  clang-14 libclang-rt-14-dev openssl
  nginx-light  # the load balancer of the multi-node test (and the benchmarks' provider stand-in)
)
bench_pkgs=(wrk jq valgrind)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = bench ]; then want+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The OAuth2 tests run a real authorization server from npm; the machine image ships Node 20.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
