#!/bin/sh
# Initialise a single-validator Babylon devnet home once (`babylond testnet --v 1`);
# later starts find config/genesis.json on the volume and skip this.
# The BLS key is created first with BABYLON_BLS_PASSWORD (from a Secret); `testnet` then loads
# it instead of making one under its fixed devnet password. It insists that a password file
# exists, but reads the env var first, so an empty file is enough; it is removed afterwards.
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
: "${BABYLON_BLS_PASSWORD:?BABYLON_BLS_PASSWORD must come from the BLS password Secret}"
rm -rf /tmp/testnet
node=/tmp/testnet/node0/babylond
babylond create-bls-key --home "$node" >/dev/null
: > "$node/config/bls_password.txt"
babylond testnet --v 1 -o /tmp/testnet --starting-ip-address 127.0.0.1 "$@"
rm -f "$node/config/bls_password.txt"
cp -a "$node/." "$home/"
for address in ${GENESIS_ACCOUNTS:-}; do
  babylond add-genesis-account "$address" "$GENESIS_BALANCE" --home "$home"
done
rm -rf /tmp/testnet
echo "initialised $home"
