"""Key material: the master key, password hashing, client-secret digests and signing keys."""
