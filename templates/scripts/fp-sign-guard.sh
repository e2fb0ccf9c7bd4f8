#!/bin/sh
# fp-sign-guard.sh check DATA_MARK GUARD_MARK DB_FILE [GUARD:DATA]
# fp-sign-guard.sh record DATA_MARK GUARD_MARK METRICS_URL INTERVAL_SECONDS
#
# Restore guard of eotsd. Losing eots.db's sign records (an old snapshot restored, a blank
# disk) lets eotsd sign heights again that it already signed; a different block at such a
# height is a double sign, and EOTS double signs give away the key (slashing).
#   record: sidecar; reads the highest signed height from eotsd's metrics
#           (eots_fp_last_eots_sign_height, finality-provider@v2.0.2:metrics/eots_collectors.go)
#           and raises DATA_MARK (data volume, next to eots.db: it travels with every snapshot)
#           then GUARD_MARK (a volume no snapshot covers). DATA_MARK >= GUARD_MARK always holds.
#   check:  init container; a DATA_MARK below GUARD_MARK means the data volume is older than
#           what eotsd has signed: refuse (exit 1). Without DB_FILE (eots.db) the data volume
#           holds no sign records, whatever DATA_MARK says. GUARD:DATA equal to the two values
#           accepts exactly that rollback once (finalityProvider.restoreGuard.acceptRollback).
set -eu

height() { # FILE -> the height it holds, 0 when absent
  if [ ! -f "$1" ]; then
    echo 0
    return
  fi
  h=$(cat "$1")
  case $h in
    '' | *[!0-9]*) echo "restore-guard: $1 holds '$h', not a height" >&2; return 1 ;;
  esac
  echo "$h"
}

put() { # FILE HEIGHT: durable atomic replace
  printf '%s\n' "$2" > "$1.tmp"
  sync "$1.tmp" 2> /dev/null || sync
  mv "$1.tmp" "$1"
}

mode=$1
data_mark=$2
guard_mark=$3
case $mode in
  check)
    db=$4
    accept=${5:-}
    data=$(height "$data_mark")
    [ -f "$db" ] || data=0
    guard=$(height "$guard_mark")
    if [ "$data" -lt "$guard" ]; then
      if [ "$accept" = "$guard:$data" ]; then
        echo "restore-guard: accepting rollback from signed height $guard to $data" \
             "(restoreGuard.acceptRollback)" >&2
        put "$guard_mark" "$data"
        exit 0
      fi
      echo "restore-guard: refusing to start eotsd: eots.db has sign records up to height" \
           "$data but eotsd already signed up to $guard (an old snapshot or a blank volume)." \
           "Restore a newer snapshot, or accept this rollback knowingly with" \
           "finalityProvider.restoreGuard.acceptRollback: \"$guard:$data\"" >&2
      exit 1
    fi
    [ "$data" -gt "$guard" ] && put "$guard_mark" "$data"
    echo "restore-guard: ok (eots.db signed up to $data)"
    ;;
  record)
    url=$4
    interval=$5
    trap 'exit 0' TERM INT  # sh as PID 1 would otherwise ignore SIGTERM until the grace ends
    while :; do
      seen=$(curl -fsS --max-time 5 "$url" 2>/dev/null |
             awk '$1 ~ /^eots_fp_last_eots_sign_height([{]|$)/ { v = $NF + 0; if (v > m) m = v }
                  END { if (m > 0) printf "%.0f\n", m }') || seen=""
      if [ -n "$seen" ] && [ "$seen" -gt "$(height "$data_mark")" ]; then
        put "$data_mark" "$seen"
        put "$guard_mark" "$seen"
      fi
      sleep "$interval"
    done
    ;;
  *)
    echo "usage: fp-sign-guard.sh check|record ..." >&2
    exit 2
    ;;
esac
