"""The HTTP edge: Starlette routes that adapt requests for protocol code."""
