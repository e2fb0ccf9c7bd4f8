#!/bin/sh
# Readiness probe: ready once synced: not in IBD (when required) and headers - blocks <= MAX_LAG.
# bitcoind-ready.sh MAX_LAG REQUIRE_NOT_IBD(0|1)
max_lag=${1:-2}
need_not_ibd=${2:-1}
out=$(timeout 20 bitcoin-cli -conf="${BITCOIN_CONF:-/config/bitcoin.conf}" -datadir="$BITCOIN_DATA" \
  -rpcclienttimeout=15 getblockchaininfo 2>&1) || { echo "rpc: $out" | head -n 3; exit 1; }
field() { printf '%s\n' "$out" | sed -n "s/^ *\"$1\": *\([^,]*\),*$/\1/p" | head -n 1; }
blocks=$(field blocks)
headers=$(field headers)
ibd=$(field initialblockdownload)
[ -n "$blocks" ] && [ -n "$headers" ] || { echo "unparsable getblockchaininfo"; exit 1; }
if [ "$need_not_ibd" = 1 ] && [ "$ibd" = true ]; then
  echo "in initial block download ($blocks/$headers)"
  exit 1
fi
lag=$((headers - blocks))
if [ "$lag" -gt "$max_lag" ]; then
  echo "headers - blocks = $lag > $max_lag"
  exit 1
fi
exit 0
