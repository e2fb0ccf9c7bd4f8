#!/bin/sh
# Readiness probe: CometBFT is not catching up.
status=$(curl -fsS -m 10 http://127.0.0.1:26657/status) || { echo "rpc down"; exit 1; }
catching=$(printf '%s' "$status" | jq -r .result.sync_info.catching_up)
[ "$catching" = false ] || { echo "catching up"; exit 1; }
