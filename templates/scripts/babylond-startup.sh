#!/bin/sh
# Startup probe: CometBFT RPC answers.
curl -fsS -m 10 http://127.0.0.1:26657/health >/dev/null
