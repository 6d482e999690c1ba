"""Persistence: the SQL schema, the async engine and repositories."""
