"""`make bench`: the licensing server's speed, measured against a bare gRPC echo
server on the same machine, with the same grpcio and the same process model.

Run `python -m bench --help` (or read bench/README.md)."""
