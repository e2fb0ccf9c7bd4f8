#!/bin/sh
# fp-home.sh HOME LOGNAME [KEYRING_DIR]
# Init step of fpd/eotsd: fpd and eotsd append every log line to HOME/logs/LOGNAME.log besides
# stdout, forever (finality-provider@v2.0.2:log/log.go#L64-L75); on an emptyDir that file would
# outgrow its size limit and get the pod evicted, so it is linked to /dev/null (stdout keeps the
# logs). With KEYRING_DIR, HOME/keyring-file (eotsd's file keyring) points there, on the data
# volume, so the imported key survives restarts while the config stays off the volume.
set -eu
home=$1
log=$2
keyring=${3:-}
mkdir -p "$home/logs"
ln -sf /dev/null "$home/logs/$log.log"
if [ -n "$keyring" ]; then
  mkdir -p "$keyring"
  chmod 0700 "$keyring"
  ln -sfn "$keyring" "$home/keyring-file"
fi
