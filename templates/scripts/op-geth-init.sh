#!/bin/sh
# Initialise op-geth's datadir from genesis.json once.
set -eu
if [ -d /db/geth/chaindata ]; then
  echo "op-geth datadir already initialised"
  exit 0
fi
geth init --datadir=/db --state.scheme=hash /rollup/genesis.json
