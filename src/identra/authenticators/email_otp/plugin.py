"""The ``email-otp`` option: a 6-digit code sent to the user's verified email address.

- Second factor: after an earlier step authenticated the user, the page shows the masked
  address ("a•••@example.com") and a button to send the code.
- First factor: before anyone is authenticated, the user gives an email address or username
  (or the identifier step did); the answer is the same whether or not an account matches
  (see :mod:`identra.authenticators.email_otp.outofband`), so the option is safe to offer first.
- Codes come from ``secrets``, are stored only as keyed digests in the cache, expire after 5
  minutes, work once, and stop working after 5 wrong tries. A new code at most every 30
  seconds (and 10 per hour) per recipient. ``amr``: ``otp``.
"""

from __future__ import annotations

from identra.authenticators.email_otp.channels import EmailChannel
from identra.authenticators.email_otp.outofband import CodeOption
from identra.authenticators.interface import AuthenticatorDeps, NotEnabled
from identra.notify.codes import OneTimeSecrets, SendThrottle
from identra.notify.contacts import Contacts


class EmailOtpOption(CodeOption):
    name = "email-otp"
    label = "Code by email"
    first_factor = True
    template = "email-otp"
    amr = ("otp",)


def create(deps: AuthenticatorDeps) -> EmailOtpOption:
    sender = getattr(deps.senders, "email", None)
    if sender is None:
        raise NotEnabled("no email sender: configure IDENTRA_SMTP__*")
    services = deps.services
    return EmailOtpOption(
        OneTimeSecrets(services.cache, services.box, "email-otp"),
        SendThrottle(services.cache, services.box, "email"),
        Contacts(services.sessions),
        EmailChannel(sender, "email-otp"),
    )
