"""gRPC transport: interceptors and servicers. Parses, validates, converts; no rules, no SQL."""
