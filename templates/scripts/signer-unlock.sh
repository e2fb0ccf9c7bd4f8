#!/bin/sh
# signer-unlock.sh SIGNER_URL DIR
# postStart hook of covenant-signer: it starts locked after every (re)start, so POST the
# request prepared by signer-unlock-prepare.sh (DIR/unlock.json + its X-Covenant-HMAC header
# line DIR/unlock.hdr) to SIGNER_URL/v1/unlock until the signer answers 200. Connection errors
# and 5xx are retried while the server comes up; 4xx (bad HMAC, bad passphrase) are final.
set -u
for _ in $(seq 1 60); do
  code=$(curl -sS -o "$2/unlock.out" -w '%{http_code}' -m 5 -X POST \
    -H 'Content-Type: application/json' -H "@$2/unlock.hdr" \
    --data-binary "@$2/unlock.json" "$1/v1/unlock" 2>/dev/null) || code=000
  case $code in
    200) rm -f "$2/unlock.out"; exit 0 ;;
    4??) echo "covenant-signer refused the unlock (HTTP $code): $(cat "$2/unlock.out")" >&2
         exit 1 ;;
  esac
  sleep 2
done
echo "covenant-signer unlock: no answer from $1" >&2
exit 1
