#!/bin/sh
# preStop: ask bitcoind to flush and stop, then wait for it (PID 1) to exit.
bitcoin-cli -conf="${BITCOIN_CONF:-/config/bitcoin.conf}" -datadir="$BITCOIN_DATA" stop || true
while kill -0 1 2>/dev/null; do sleep 1; done
