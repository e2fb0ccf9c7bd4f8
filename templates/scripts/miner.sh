#!/bin/sh
# Regtest block producer: create/load a passphrase-protected descriptor wallet, mine the
# initial blocks to it, then one block every INTERVAL seconds. The RPC password and wallet
# passphrase are read from mounted Secret files and passed on stdin, never as arguments.
# miner.sh HOST PORT USER WALLET INITIAL INTERVAL
set -eu
host=$1 port=$2 user=$3 wallet=$4 initial=$5 interval=$6
cli() { bitcoin-cli -regtest -rpcconnect="$host" -rpcport="$port" -rpcuser="$user" \
  -rpcwait -rpcwaittimeout=600 -stdinrpcpass "$@"; }
pw() { cat "${SECRETS_DIR:-/secrets}/rpc/password"; echo; }
{ pw; printf 'passphrase=%s\n' "$(cat "${SECRETS_DIR:-/secrets}/wallet/passphrase")"; } \
  | cli -stdin -named createwallet wallet_name="$wallet" descriptors=true load_on_startup=true \
  >/dev/null 2>&1 || pw | cli loadwallet "$wallet" >/dev/null 2>&1 || true
address=$(pw | cli -rpcwallet="$wallet" getnewaddress miner bech32)
height=$(pw | cli getblockcount)
if [ "$height" -lt "$initial" ]; then
  pw | cli generatetoaddress $((initial - height)) "$address" >/dev/null
fi
echo "mining to $address every ${interval}s"
while :; do
  pw | cli generatetoaddress 1 "$address" >/dev/null || echo "generatetoaddress failed" >&2
  sleep "$interval"
done
