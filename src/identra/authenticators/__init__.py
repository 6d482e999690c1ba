"""Authenticators: one package each, behind a small interface, listed in ``registry``."""
