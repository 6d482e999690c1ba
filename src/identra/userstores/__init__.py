"""User stores: where an organization's users live, read in ``position`` order.

- ``base``: the ``UserStoreBackend`` Protocol every kind implements (authenticate, lookup,
  list, create, update, delete) and the ``StoreUser`` it exchanges.
- ``database``: the built-in store (the ``users`` table, argon2id hashes).
- ``ldap``: LDAP / Active Directory (``ldap3``): read-only or read-write, attribute mapping,
  a connection pool, StartTLS/LDAPS, the bind password encrypted at rest.
- ``registry``: an organization's stores in order, the ``STORE/username`` prefix (as WSO2
  Identity Server writes it), login across stores, and the local rows that mirror directory
  users (stable ids, group and role membership, SCIM listing).
- ``config``: creating and changing LDAP stores (validated, audited).
- ``scim``: the SCIM ``ResourceStore`` implementations for Users, Groups and Roles.
"""
