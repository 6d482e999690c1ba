"""Self-service pages: registration (``/register``), password recovery (``/recover``) and the
My Account portal (``/account``), at the root issuer and under ``/o/{org}``."""
