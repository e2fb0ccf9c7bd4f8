#!/bin/sh
# Liveness probe: fails only when the node is behind (IBD or headers > blocks) and neither the
# height nor the verification progress moved within WINDOW seconds, or when RPC has not
# answered for WINDOW seconds. Warm-up (-28) and slow IBD never fail it. A node at the tip
# with no new blocks (idle regtest/signet) is alive. State: STATE_FILE on an emptyDir.
# bitcoind-live.sh WINDOW
window=${1:-3600}
state="${PROBE_DIR:-/probe}/bitcoind-live"
now=$(date +%s)
[ -f "$state" ] || printf 'start %s\n' "$now" > "$state"
read -r last_key last_ts < "$state" || { last_key=start; last_ts=$now; }
out=$(timeout 20 bitcoin-cli -conf="${BITCOIN_CONF:-/config/bitcoin.conf}" -datadir="$BITCOIN_DATA" \
  -rpcclienttimeout=15 getblockchaininfo 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
  case $out in
    *"error code: -28"*) printf 'warmup %s\n' "$now" > "$state"; exit 0 ;;
  esac
  if [ $((now - last_ts)) -gt "$window" ]; then
    echo "rpc unanswered and no progress for $((now - last_ts))s > ${window}s"
    exit 1
  fi
  exit 0
fi
field() { printf '%s\n' "$out" | sed -n "s/^ *\"$1\": *\([^,]*\),*$/\1/p" | head -n 1; }
blocks=$(field blocks)
headers=$(field headers)
progress=$(field verificationprogress)
ibd=$(field initialblockdownload)
key="$blocks/$headers/$progress"
if [ "$key" != "$last_key" ]; then
  printf '%s %s\n' "$key" "$now" > "$state"
  exit 0
fi
if [ "$ibd" != true ] && [ "${headers:-0}" -le "${blocks:-0}" ]; then
  exit 0
fi
if [ $((now - last_ts)) -gt "$window" ]; then
  echo "behind ($blocks/$headers) and stuck for $((now - last_ts))s > ${window}s"
  exit 1
fi
exit 0
