"""Authentication actions as login options (``action:<name>``)."""
