"""The management REST API under ``/api/v1``: organization-scoped, problem+json errors."""
