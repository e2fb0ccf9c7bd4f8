#!/bin/sh
# preStop: stop babylond (PID 1) cleanly and wait, so the stores are flushed.
kill -TERM 1 2>/dev/null || true
while kill -0 1 2>/dev/null; do sleep 1; done
