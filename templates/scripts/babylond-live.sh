#!/bin/sh
# Liveness probe: fails only when the block height has not moved for WINDOW seconds (Babylon
# makes a block every few seconds), counting RPC silence the same way. State on an emptyDir.
# babylond-live.sh WINDOW
window=${1:-1800}
state="${PROBE_DIR:-/probe}/babylond-live"
now=$(date +%s)
[ -f "$state" ] || printf 'start %s\n' "$now" > "$state"
read -r last_height last_ts < "$state" || { last_height=start; last_ts=$now; }
height=$(curl -fsS -m 10 http://127.0.0.1:26657/status | jq -r .result.sync_info.latest_block_height) \
  || height=""
if [ -n "$height" ] && [ "$height" != "$last_height" ]; then
  printf '%s %s\n' "$height" "$now" > "$state"
  exit 0
fi
if [ $((now - last_ts)) -gt "$window" ]; then
  echo "height ${height:-?} unchanged for $((now - last_ts))s > ${window}s"
  exit 1
fi
exit 0
