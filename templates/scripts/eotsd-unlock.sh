#!/bin/sh
# eotsd-unlock.sh HOME RPC_ADDRESS PASSPHRASE_FILE [TRIES [WAIT_SECONDS]]
# postStart hook of eotsd: a `file` keyring starts locked after every (re)start and eotsd
# refuses to sign until `eotsd unlock` loads the key (finality-provider@v2.0.2:
# eotsmanager/localmanager.go#L570-L600). The passphrase (a mounted Secret file) goes in EOTSD_KEYRING_PASSWORD, the HMAC
# key is read by eotsd from HOME/eotsd.conf (--home), the public key from HOME/eots-pk (written
# by eotsd-key.sh): nothing is typed by a person. A failure makes the kubelet restart eotsd.
set -eu
home=$1
rpc=$2
passfile=$3
max=${4:-90}
wait=${5:-2}
pk=$(cat "$home/eots-pk")
EOTSD_KEYRING_PASSWORD=$(cat "$passfile")
export EOTSD_KEYRING_PASSWORD
tries=0
until out=$(eotsd unlock --eots-pk "$pk" --rpc-client "$rpc" --home "$home" 2>&1 < /dev/null); do
  tries=$((tries + 1))
  if [ "$tries" -ge "$max" ]; then
    echo "eotsd-unlock: giving up after $tries tries: $out" >&2
    exit 1
  fi
  sleep "$wait"
done
echo "eotsd-unlock: unlocked the EOTS key $pk"
