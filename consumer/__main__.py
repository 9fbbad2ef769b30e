"""``python -m consumer``: the same as the ``spapi-notify`` command."""

from consumer.cli.main import main

main()
