"""``spapi-notify demo``: the whole product on one machine, with no AWS account and no Amazon credentials."""
