"""Single-use backup codes, for when the usual second factor is out of reach."""
