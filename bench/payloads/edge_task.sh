#!/bin/sh
# Benchmark task (bench/edge.ts): `edge_task.sh <index> <output>` sleeps EDGE_SLEEP seconds (when not 0), then
# writes <index> to <output>. The same script for Yoda's command mode and for xargs, so both do the same work.
[ "${EDGE_SLEEP:-0}" = 0 ] || sleep "$EDGE_SLEEP"
echo "$1" > "$2"
