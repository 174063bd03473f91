"""AdminService tests (issue 5)."""
