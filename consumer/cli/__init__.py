"""The ``spapi-notify`` command line (``consumer.cli.main:main``)."""
