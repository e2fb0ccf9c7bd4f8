#!/bin/sh
# preStop: ask bitcoind to flush and stop, then wait for it (PID 1) to exit.
bitcoin-cli -conf="${BITCOIN_CONF:-/config/bitcoin.conf}" -datadir="$BITCOIN_DATA" stop || true
pid=${BITCOIND_PID:-1}
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
