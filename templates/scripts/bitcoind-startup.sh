#!/bin/sh
# Startup probe: passes once the RPC server answers, including "warming up" (-28).
out=$(timeout 20 bitcoin-cli -conf="${BITCOIN_CONF:-/config/bitcoin.conf}" -datadir="$BITCOIN_DATA" \
  -rpcclienttimeout=15 getblockchaininfo 2>&1)
rc=$?
[ "$rc" -eq 0 ] && exit 0
case $out in *"error code: -28"*) exit 0 ;; esac
echo "rpc not answering (rc=$rc)"
exit 1
