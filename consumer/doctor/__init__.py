"""``spapi-notify doctor``: why notifications do not arrive, each cause named with its fix."""
