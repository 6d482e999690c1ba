"""SQL implementations of the storage interfaces that consuming packages declare."""
