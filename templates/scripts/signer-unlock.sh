#!/bin/sh
# postStart: unlock the covenant signer's key (it starts locked after every restart). The
# passphrase comes from a mounted Secret file (empty when none) and is posted from a file.
umask 077
pp=""
[ -f /secrets/unlock/passphrase ] && pp=$(cat /secrets/unlock/passphrase)
printf '{"passphrase": "%s"}' "$pp" > /tmp/unlock.json
for _ in $(seq 1 60); do
  if wget -q -O /dev/null --header 'Content-Type: application/json' \
      --post-file /tmp/unlock.json http://127.0.0.1:9791/v1/unlock; then
    rm -f /tmp/unlock.json
    exit 0
  fi
  sleep 2
done
rm -f /tmp/unlock.json
echo "covenant-signer unlock failed" >&2
exit 1
