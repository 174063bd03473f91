"""The `aspel-licensing-admin` console script (client/pyproject.toml) and
`python -m aspel.licensing.client.admin_cli`: the program is `cli.admin`."""

from __future__ import annotations

import sys

from .cli.admin import build_parser, main

__all__ = ["build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
