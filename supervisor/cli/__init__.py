"""The ``motia`` command line."""
