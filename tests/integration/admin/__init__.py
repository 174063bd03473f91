"""AdminService tests: the real server, its service keys and scopes."""
