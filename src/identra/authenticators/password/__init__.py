"""Username and password against the organization's users (argon2id)."""
