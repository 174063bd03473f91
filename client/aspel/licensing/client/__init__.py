"""The Python client of the Aspel licensing server (no server code needed).

- `LicensingClient` (`licensing`): the customer portal service.
- `ActivationClient` (`activation`): installers' activation, validation and
  deactivation; `license_verification` checks a signed licence offline;
  `license_armor` reads and writes a licence file's forms (binary, ASCII
  armor for tickets, JSON).
- `AdminClient` (`admin`): AdminService, for internal services.
- `errors`: `LicensingError` and one subclass per gRPC status, with `reason`.
- `base`: `BaseClient`, deadlines and safe retries, for every client class.
- `session_file`: the CLI's saved login (0600).
- `cli`: the command lines, both made by `cli.program` (common flags, exit
  codes, TLS, --json, argparse in Spanish): `aspel-licensing` (`cli`) and
  `aspel-licensing-admin` (`cli.admin`; `admin_cli` is its script's module).

Distributed as `aspel-licensing-client` (client/pyproject.toml).
"""

from .activation import ActivationClient
from .admin import AdminClient
from .base import DEFAULT_DEADLINE, BaseClient, RetryPolicy, new_request_id
from .errors import LicensingError, from_grpc_error
from .licensing import LicensingClient

#: The version of this package, also in the user agent of its programs.
__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DEADLINE",
    "ActivationClient",
    "AdminClient",
    "BaseClient",
    "LicensingClient",
    "LicensingError",
    "RetryPolicy",
    "__version__",
    "from_grpc_error",
    "new_request_id",
]
