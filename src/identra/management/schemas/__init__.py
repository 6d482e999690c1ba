"""Request and response models of the management API (write-only secrets never echoed)."""
