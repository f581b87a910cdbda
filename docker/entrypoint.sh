#!/bin/sh
# Starts one Star service in a container: `entrypoint.sh <manager|node|checkpointer|gateway>`.
# The instance id defaults to <service>-<container hostname>, so each replica of a scaled service
# (docker compose up --scale node=5) has its own stable identity with no per-replica settings;
# a node also advertises <hostname>:<port> (it listens on 0.0.0.0).
set -eu
service="${1:-}"
case "$service" in
  manager | node | checkpointer | gateway) ;;
  *)
    echo "usage: entrypoint.sh manager|node|checkpointer|gateway (got '$service')" >&2
    exit 64
    ;;
esac
export STAR_INSTANCE_ID="${STAR_INSTANCE_ID:-$service-$(hostname)}"
exec node "/app/apps/$service/dist/main.js"
