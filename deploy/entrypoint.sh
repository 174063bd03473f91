#!/bin/sh
# Container entrypoint: bring the schema up to date, then become the server.
#
#   (no arguments) or flags   -> migrate, then `serve` with those flags
#   a command (outbox list..) -> that command only, e.g.
#                                `podman run IMAGE outbox list --state FAILED`
#
# `exec`: the server is PID 1, so the runtime's SIGTERM reaches it and it
# drains its calls. Settings come from ASPEL_LICENSING_* variables; a bad one
# stops here with status 2 and one line naming it.
set -eu

server=aspel-licensing-server

case "${1:-}" in
    "" | -*)
        "$server" migrate
        exec "$server" serve "$@"
        ;;
    *)
        exec "$server" "$@"
        ;;
esac
