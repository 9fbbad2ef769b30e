"""The change feed's application side: a follower for ``spapi-notify changes`` and the daemon's pruner."""
