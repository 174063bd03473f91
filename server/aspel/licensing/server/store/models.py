"""The live peewee models. The schema itself is created by `migrations/`;
`tests/store/test_migrations.py` checks that both agree."""

from __future__ import annotations

import peewee

from ..domain.states import ACTIVE, PENDING
from .binding import database_proxy
from .fields import JsonField, UtcDateTimeField


class BaseModel(peewee.Model):
    # Declared so type checkers know every row has it (peewee adds it anyway).
    id = peewee.AutoField()

    class Meta:
        database = database_proxy
        legacy_table_names = False


class Account(BaseModel):
    """A customer's "Mi cuenta Aspel"."""

    public_id = peewee.CharField(unique=True)
    username = peewee.CharField(unique=True)  # stored lower-case
    email = peewee.CharField()
    razon_social = peewee.CharField()
    password_hash = peewee.CharField()
    failed_logins = peewee.IntegerField(default=0)
    locked_until = UtcDateTimeField(null=True)
    disabled = peewee.BooleanField(default=False)
    create_time = UtcDateTimeField()


class Session(BaseModel):
    """A login. Only the SHA-256 of the bearer token is kept."""

    token_hash = peewee.CharField(unique=True)
    account = peewee.ForeignKeyField(Account, backref="sessions", on_delete="CASCADE")
    create_time = UtcDateTimeField()
    last_used_time = UtcDateTimeField()
    expire_time = UtcDateTimeField()
    end_time = UtcDateTimeField(null=True)


class Release(BaseModel):
    """A published major version of a product."""

    product_code = peewee.CharField()
    version = peewee.CharField()
    # The versions whose subscribers may move to this one for free.
    upgrade_from = JsonField()
    download_url = peewee.CharField()
    publish_time = UtcDateTimeField()

    class Meta:
        indexes = ((("product_code", "version"), True),)


class UpgradeTermsText(BaseModel):
    """The terms template for moving to a release; the newest one is in force.

    Clauses are `string.Template` texts filled per serial ($product_name,
    $from_version, $to_version, $retire_date, $billing_period, $razon_social,
    $download_url). Older rows stay for the record of what was accepted.
    """

    product_code = peewee.CharField()
    to_version = peewee.CharField()
    title = peewee.CharField()
    clauses = JsonField()
    locale = peewee.CharField(default="es-MX")
    publish_time = UtcDateTimeField()
    #: The paragraph between the title and the clauses, a template like them;
    #: null: the default one (domain/upgrade_terms.py). Migration 0011.
    introduction = peewee.TextField(null=True)

    class Meta:
        indexes = ((("product_code", "to_version", "publish_time"), False),)


class Subscription(BaseModel):
    """A serial number. `status` is ACTIVE, SUPERSEDED or SUSPENDED; INACTIVE is
    derived from `retire_date` and the clock, so no job has to flip it."""

    serial_number = peewee.CharField(unique=True)  # canonical: no dashes, upper-case
    account = peewee.ForeignKeyField(Account, backref="subscriptions", on_delete="RESTRICT")
    product_code = peewee.CharField()
    version = peewee.CharField()
    users = peewee.IntegerField()
    installations_allowed = peewee.IntegerField(default=1)
    modality = peewee.CharField()  # SUBSCRIPTION | PERPETUAL_LICENSE
    billing_period = peewee.CharField(null=True)  # MONTHLY | SEMIANNUAL | ANNUAL
    activation_date = peewee.DateField()
    next_payment_date = peewee.DateField(null=True)
    status = peewee.CharField(default=ACTIVE)
    retire_date = peewee.DateField(null=True)
    # Unique: a serial has at most one successor, whatever the concurrency.
    predecessor = peewee.ForeignKeyField(
        "self", null=True, unique=True, backref="successors", on_delete="RESTRICT"
    )
    accepted_terms_id = peewee.CharField(null=True)
    create_time = UtcDateTimeField()

    class Meta:
        indexes = ((("account", "id"), False),)

    @property
    def predecessor_serial_number(self) -> str | None:
        """The replaced serial, when the query joined it (as `predecessor_row`);
        the portal's raw rows (SubscriptionRow) carry the same attribute."""
        joined = getattr(self, "predecessor_row", None)
        return joined.serial_number if joined is not None else None


class OutboxMessage(BaseModel):
    """An email to send, written in the transaction of the change that causes it."""

    message_id = peewee.CharField(unique=True)  # stable RFC 5322 Message-ID
    kind = peewee.CharField()
    recipient = peewee.CharField()
    payload = JsonField()
    state = peewee.CharField(default=PENDING)  # PENDING | SENDING | SENT | FAILED
    attempts = peewee.IntegerField(default=0)
    next_attempt_time = UtcDateTimeField()
    claimed_until = UtcDateTimeField(null=True)
    last_error = peewee.TextField(null=True)
    create_time = UtcDateTimeField()
    sent_time = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("state", "next_attempt_time"), False),)


class AuditEvent(BaseModel):
    """Append-only record of what happened. Never holds a secret."""

    time = UtcDateTimeField()
    kind = peewee.CharField()
    actor = peewee.CharField()
    peer = peewee.CharField(null=True)
    account_public_id = peewee.CharField(null=True, index=True)
    serial_number = peewee.CharField(null=True, index=True)
    detail = JsonField()
    #: The RPC's request id (x-request-id), as in the request log; migration 0006.
    request_id = peewee.CharField(null=True)


class IdempotencyRecord(BaseModel):
    """The first answer to a request_id, so a retry gets it back (AIP-155)."""

    scope = peewee.CharField()  # who called: an account or a service key
    request_id = peewee.CharField()
    operation = peewee.CharField()
    request_hash = peewee.CharField()
    result = JsonField()
    create_time = UtcDateTimeField()

    class Meta:
        indexes = ((("scope", "request_id"), True),)


class RateLimitWindow(BaseModel):
    """A fixed-window counter, in the database so every process shares it."""

    key = peewee.CharField(unique=True)
    window_start = UtcDateTimeField()
    count = peewee.IntegerField(default=0)


ALL_MODELS: list[type[BaseModel]] = [
    Account,
    Session,
    Release,
    UpgradeTermsText,
    Subscription,
    OutboxMessage,
    AuditEvent,
    IdempotencyRecord,
    RateLimitWindow,
]


# --- Activations (migration 0002) -------------------------------------------


class Activation(BaseModel):
    """One installation of a product on one machine, holding one seat of its serial.

    A deactivated row stays for the record (`deactivate_time` set). Among the
    active rows of a subscription, the machine fingerprint and the seat number
    are unique (partial unique indexes), so the database itself refuses a
    second seat for one machine and more seats than were counted.
    """

    public_id = peewee.CharField(unique=True)
    subscription = peewee.ForeignKeyField(Subscription, backref="activations", on_delete="RESTRICT")
    machine_fingerprint = peewee.CharField()
    hostname = peewee.CharField(default="")
    product_code = peewee.CharField()
    version = peewee.CharField()
    # 1..installations_allowed: the seat this activation holds while active.
    seat = peewee.IntegerField()
    create_time = UtcDateTimeField()
    last_validate_time = UtcDateTimeField(null=True)
    deactivate_time = UtcDateTimeField(null=True)
    # Migration 0007 (domain/seats.py): an upper bound of the expire_time of
    # every licence handed out for it; how it was released; when its seat
    # stopped counting (null while active or RELEASE_PENDING).
    license_expire_time = UtcDateTimeField(null=True)
    release_kind = peewee.CharField(null=True)
    seat_freed_time = UtcDateTimeField(null=True)
    # kind -> digest, as the installer last sent them; null: it sends none.
    machine_components = JsonField(null=True)
    # The installation's raw Ed25519 public key (32 bytes) in hex, the same
    # text on both engines; null: it sent none.
    installation_public_key = peewee.CharField(null=True)
    # Migration 0013: the licence bound when the key was last replaced (a
    # receipt of the new key frees the seat at once only after it).
    key_replaced_until = UtcDateTimeField(null=True)

    subscription_id: int

    class Meta:
        indexes = ((("subscription", "deactivate_time"), False),)


# The database's own guard for "one seat per machine" and "no more seats than
# allowed": a machine is unique among the active rows of a subscription, a
# seat number among the rows that still hold their seat (active, or released
# while their licence is valid: RELEASE_PENDING; migration 0007).
for _name, _column, _held in (
    ("activation_active_machine", Activation.machine_fingerprint, Activation.deactivate_time),
    ("activation_held_seat", Activation.seat, Activation.seat_freed_time),
):
    Activation.add_index(
        Activation.index(
            Activation.subscription,
            _column,
            unique=True,
            where=_held.is_null(),
            name=_name,
        )
    )

ALL_MODELS.append(Activation)

# --- password recovery (migration 0003) ---------------------------------------


class PasswordReset(BaseModel):
    """A password-reset token sent by email. Only its SHA-256 is kept; it works
    once (`use_time`) and only until `expire_time`."""

    token_hash = peewee.CharField(unique=True)
    account = peewee.ForeignKeyField(Account, backref="password_resets", on_delete="CASCADE")
    create_time = UtcDateTimeField()
    expire_time = UtcDateTimeField()
    use_time = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("account", "use_time"), False),)


ALL_MODELS.append(PasswordReset)


# --- Service keys: the credentials of AdminService callers (migration 0004) ---


class ServiceKey(BaseModel):
    """A credential of an internal service on AdminService. Only the SHA-256 of
    the secret is kept; a revoked key keeps its row (and its name) for the
    audit log's sake."""

    name = peewee.CharField(unique=True)
    scopes = JsonField()  # a sorted list of "billing", "catalog", "support"
    key_hash = peewee.CharField(unique=True)
    create_time = UtcDateTimeField()
    revoke_time = UtcDateTimeField(null=True)


ALL_MODELS.append(ServiceKey)


# --- Server secrets (migration 0005) ------------------------------------------


class ServerSecret(BaseModel):
    """A random secret of the deployment, shared by every worker process and
    every machine through the database (for example the page-token key).
    Created on first use; the unique name makes concurrent creators agree."""

    name = peewee.CharField(unique=True)
    value = peewee.CharField()  # hex
    create_time = UtcDateTimeField()


ALL_MODELS.append(ServerSecret)


# --- Events and reminders (migration 0012) -------------------------------------


class WebhookEndpoint(BaseModel):
    """Where billing or CRM wants audited changes delivered (store/webhooks.py).

    `secret_sealed` is the signing secret AES-GCM encrypted with a server
    secret; the plain secret is returned once, by the call that creates it. A
    deleted (or, after 410 Gone, disabled) endpoint keeps its row for the
    record, with `delete_time` set."""

    public_id = peewee.CharField(unique=True)
    url = peewee.TextField()
    event_types = JsonField()  # a sorted list; empty: every type
    description = peewee.CharField(default="")
    secret_sealed = peewee.TextField()
    create_time = UtcDateTimeField()
    created_by = peewee.CharField()
    delete_time = UtcDateTimeField(null=True)
    #: Why it stopped: "deleted" by AdminService, or "gone" after HTTP 410.
    disable_reason = peewee.CharField(null=True)

    class Meta:
        indexes = ((("delete_time",), False),)


class ReminderSent(BaseModel):
    """One customer reminder queued; the unique key makes it go at most once.

    `occasion` says which occurrence: the due date and the days before it of a
    payment, the installation and its last validation of an idle one, the
    version of an upgrade."""

    kind = peewee.CharField()
    serial_number = peewee.CharField()
    occasion = peewee.CharField()
    create_time = UtcDateTimeField()

    class Meta:
        indexes = ((("kind", "serial_number", "occasion"), True),)


ALL_MODELS.extend([WebhookEndpoint, ReminderSent])


class CacheVersion(BaseModel):
    """The version of a cache processes keep (`catalog`: releases and upgrade
    terms), added to by every write that changes what it holds (store/catalog.py).
    Migration 0014, which also writes the rows."""

    name = peewee.CharField(unique=True)
    version = peewee.BigIntegerField(default=1)


ALL_MODELS.append(CacheVersion)
