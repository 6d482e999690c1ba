"""Administrative operations shared by the management API and the CLI.

Each function takes an open session (the caller owns the transaction), the organization and
the actor, validates, writes, and records an audit event. Routers and commands stay thin.
"""
