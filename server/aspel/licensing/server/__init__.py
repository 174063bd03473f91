"""The licensing server (distribution `aspel-licensing-server`, the root pyproject.toml)."""

__version__ = "0.1.0"
