"""Project-wide pytest configuration; the shared fixtures live in tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.isolation",
    "tests.fixtures.postgres",
    "tests.fixtures.moto_server",
    "tests.fixtures.databases",
    "tests.fixtures.clock",
    "tests.fixtures.keys",
    "tests.fixtures.queues",
    "tests.fixtures.daemons",
    "tests.fixtures.ordering",
]
