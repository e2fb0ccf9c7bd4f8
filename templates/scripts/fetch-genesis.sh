#!/bin/sh
# Fetch genesis.json from a CometBFT RPC (vigilante monitor needs the file).
# fetch-genesis.sh RPC_URL OUT
set -eu
for _ in $(seq 1 120); do
  if curl -fsS -m 20 "$1/genesis" | jq .result.genesis > "$2.tmp" && [ -s "$2.tmp" ]; then
    mv "$2.tmp" "$2"
    exit 0
  fi
  sleep 5
done
echo "could not fetch genesis from $1" >&2
exit 1
