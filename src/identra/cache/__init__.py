"""Ephemeral state: one small interface, an in-process backend and a Redis/Valkey backend."""
