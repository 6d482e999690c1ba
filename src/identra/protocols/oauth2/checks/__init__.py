"""The authorization endpoint's checks, one small module each, run in the order listed in
``identra.protocols.oauth2.endpoints.authorize.CHECKS``."""
