"""Reconciliation: sweeps of each seller's orders with searchOrders, so the tables match Amazon even when a
notification never arrives (the sweep of one seller, the daemon's periodic scheduler, progress reporting)."""
