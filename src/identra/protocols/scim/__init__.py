"""SCIM 2.0 (RFC 7643 resources and schemas, RFC 7644 protocol), framework-free.

- ``errors``: RFC 7644 §3.12 error responses, one class per ``scimType``.
- ``schemas``: attribute definitions (RFC 7643 §2, §7), the core User/Group schemas, the
  enterprise extension, the Role resource, and per-organization custom extensions.
- ``filter``: the RFC 7644 §3.4.2.2 filter and §3.5.2 PATCH path grammar (Lark), parsed into
  an AST that is resolved against a resource type; SQL compilation lives in storage.
- ``evaluate``: the same filters evaluated in memory (PATCH value filters, LDAP, tests).
- ``resources``: request validation and normalisation, ``attributes``/``excludedAttributes``.
- ``patch``: RFC 7644 §3.5.2 PATCH operations on a resource document.
- ``service``: the endpoints (Users, Groups, Roles, Me, Bulk, discovery) over storage Protocols.
"""
