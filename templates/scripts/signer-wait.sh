#!/bin/sh
# signer-wait.sh SIGNER_URL HMAC_KEY_FILE
# Init container of covd (covd image: openssl, curl). covd start exits when the remote signer
# does not return its public key (locked or down), so wait until GET SIGNER_URL/v1/public-key,
# authenticated like covd's own request (X-Covenant-HMAC over the empty body), answers 200.
set -eu
umask 077
key=$(cat "$2")
if [ -z "$key" ]; then
  echo "signer-wait: the HMAC key ($2) is empty" >&2
  exit 1
fi
mac=$(printf '' | openssl dgst -sha256 -hmac "$key" -r | cut -d ' ' -f 1)
for _ in $(seq 1 120); do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -m 5 -H "X-Covenant-HMAC: $mac" \
    "$1/v1/public-key" 2>/dev/null) || code=000
  case $code in
    200) exit 0 ;;
    401) echo "signer-wait: the signer refuses our HMAC (keys differ?)" >&2; exit 1 ;;
  esac
  echo "signer-wait: signer not ready (HTTP $code), retrying" >&2
  sleep 5
done
echo "signer-wait: the signer at $1 did not become ready" >&2
exit 1
