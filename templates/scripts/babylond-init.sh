#!/bin/sh
# Initialise a single-validator Babylon devnet home once (`babylond testnet --v 1`);
# later starts find config/genesis.json on the volume and skip this.
# Accounts in $GENESIS_ACCOUNTS (space separated) get $GENESIS_BALANCE before the first block,
# so the daemons' keyrings need no funding transaction.
# babylond-init.sh HOME [babylond testnet flags...]
set -eu
home=$1
shift
if [ -f "$home/config/genesis.json" ]; then
  echo "babylond home already initialised"
  exit 0
fi
rm -rf /tmp/testnet
babylond testnet --v 1 -o /tmp/testnet --starting-ip-address 127.0.0.1 "$@"
cp -a /tmp/testnet/node0/babylond/. "$home/"
for address in ${GENESIS_ACCOUNTS:-}; do
  babylond add-genesis-account "$address" "$GENESIS_BALANCE" --home "$home"
done
rm -rf /tmp/testnet
echo "initialised $home"
