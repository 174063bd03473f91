"""The rules of accounts, subscriptions and upgrades. No grpc, no protos."""
