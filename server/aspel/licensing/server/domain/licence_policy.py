"""How long a licence lets the product work without the server, and what it
allows afterwards: the grace period and read-only access ("modo consulta").

Every licence has three phases, as the product's verifier reads them offline:

1. full use up to `expire_time` (the product should validate before then);
2. grace up to `grace_end_time`: still full use, while the product cannot
   reach the server, with a warning and the days left;
3. after that, read-only when `read_only_access` is set: the product opens its
   data to read and print, never to write. Mexican law keeps accounting
   records for five years (CFF art. 30), so a customer never loses access to
   their own books.

Which licences grant read-only access: every licence the server signs, for
every state it signs licences in (ACTIVE, OVERDUE, SUPERSEDED). A SUSPENDED or
INACTIVE serial gets no licence at all, not even a read-only one: suspension is
Aspel's lever against fraud, and a machine whose serial is suspended keeps only
what its last licence said.

An OVERDUE subscription (its next payment date passed unpaid) keeps full use
only up to the end of its payment date plus the subscription grace: its
licences end there (`expire_time` = `grace_end_time` = that instant, so a
product that knows nothing of grace still stops at the same moment) and carry
`payment_overdue`, so the verifier reports GRACE with the days left rather
than full use. Past that instant, the server signs read-only licences only.

Pure policy: no store, no clock of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .spanish import long_date
from .states import OVERDUE, PERPETUAL_LICENSE, SUPERSEDED

#: The default grace of a subscription: the week after a missed validation or
#: an unpaid payment date.
DEFAULT_SUBSCRIPTION_GRACE = dt.timedelta(days=7)
#: The default grace of a perpetual licence: a month, since a perpetual licence
#: is paid and its product may run where the network is seldom available.
DEFAULT_PERPETUAL_GRACE = dt.timedelta(days=30)


@dataclass(frozen=True)
class GracePolicy:
    subscription_grace: dt.timedelta = DEFAULT_SUBSCRIPTION_GRACE
    perpetual_grace: dt.timedelta = DEFAULT_PERPETUAL_GRACE

    def grace_for(self, modality: str) -> dt.timedelta:
        return self.perpetual_grace if modality == PERPETUAL_LICENSE else self.subscription_grace

    def overdue_grace_end_date(self, next_payment_date: dt.date) -> dt.date:
        """The last day an overdue subscription keeps full use (whole days)."""
        return next_payment_date + dt.timedelta(days=self.subscription_grace.days)


@dataclass(frozen=True)
class LicenceTerms:
    """The dates and rights a licence issued now carries."""

    expire_time: dt.datetime
    grace_end_time: dt.datetime
    read_only_access: bool
    payment_overdue: bool

    def read_only_now(self, now: dt.datetime) -> bool:
        """True for a licence that already allows reading only (an overdue
        subscription past its grace)."""
        return now >= self.grace_end_time


def licence_terms(
    policy: GracePolicy,
    *,
    state: str,
    modality: str,
    expire_time: dt.datetime,
    next_payment_date: dt.date | None,
    retire_end: dt.datetime | None,
    end_of_day: dt.datetime | None,
) -> LicenceTerms:
    """The terms of a licence of a serial in `state`, whose full validity
    (computed by the activation service) ends at `expire_time`.

    `retire_end` is the first instant after a superseded serial's retire date:
    no grace goes past it (the retirement was announced; the new version's
    serial is the way on). `end_of_day` is the first instant after the overdue
    grace's last day (only for OVERDUE).
    """
    if state == OVERDUE and next_payment_date is not None and end_of_day is not None:
        return LicenceTerms(
            expire_time=end_of_day,
            grace_end_time=end_of_day,
            read_only_access=True,
            payment_overdue=True,
        )
    grace_end = expire_time + policy.grace_for(modality)
    if state == SUPERSEDED and retire_end is not None:
        grace_end = min(grace_end, retire_end)
    return LicenceTerms(
        expire_time=expire_time,
        grace_end_time=max(grace_end, expire_time),
        read_only_access=True,
        payment_overdue=False,
    )


def overdue_message(next_payment_date: dt.date, grace_end_date: dt.date, read_only: bool) -> str:
    """What the product tells the user of an overdue subscription (es-MX)."""
    if read_only:
        return (
            f"El pago de tu suscripción venció el {long_date(next_payment_date)} y terminó "
            "el periodo de gracia: el sistema funciona en modo consulta (solo lectura) hasta "
            "que se registre tu pago. Tu información sigue disponible para consultarla e "
            "imprimirla."
        )
    return (
        f"El pago de tu suscripción venció el {long_date(next_payment_date)}. Puedes seguir "
        f"usando el sistema hasta el {long_date(grace_end_date)}; después funcionará en modo "
        "consulta (solo lectura) hasta que se registre tu pago."
    )
