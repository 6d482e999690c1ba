"""Hosted pages: the login flow's steps, consent, errors and logout, rendered with Jinja2."""
