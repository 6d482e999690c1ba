"""One module per grant type; each declares ``grant_type`` and implements ``handle``."""
