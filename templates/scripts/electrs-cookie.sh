#!/bin/sh
# Write the bitcoind RPC cookie electrs reads (<daemon-dir>/<network subdir>/.cookie) from the
# mounted RPC Secret into an emptyDir, so the password is never an electrs argument.
# electrs-cookie.sh USER SUBDIR
set -eu
dir=/bitcoin/${2:-}
mkdir -p "$dir"
umask 077
printf '%s:%s' "$1" "$(cat /secrets/rpc/password)" > "$dir/.cookie"
