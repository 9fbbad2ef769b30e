"""The change feed: every write to an output table appends a change in the same transaction.

Writers (store.outputs) go through ``append``: the feed's lock, the guarded write, the change row. Followers
read with ``read`` from a cursor; ``prune`` removes changes older than the retention; ``listen`` wakes a
follower on PostgreSQL when a transaction with changes commits.
"""
