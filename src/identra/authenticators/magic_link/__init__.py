"""The ``magic-link`` option: a one-time sign-in link by email."""
