"""The ``identra`` command line."""
