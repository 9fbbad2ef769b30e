"""Pacing SP-API calls inside Amazon's usage plans: one GCRA budget per key, shared through a BudgetStore.

The client asks its Pacer for a slot before every call and tells it what Amazon answered. Where the budget
lives is a BudgetStore: in memory (one process), or in the database (store.rate_budget, every process).
"""

from spapi.pacing.budget import BudgetStore, Reservation
from spapi.pacing.headroom import DEFAULT_HEADROOM, EXACT, Headroom
from spapi.pacing.keys import GRANTLESS_PARTNER, CallKey
from spapi.pacing.memory import MemoryBudget
from spapi.pacing.pacer import Pacer

__all__ = [
    "DEFAULT_HEADROOM",
    "EXACT",
    "GRANTLESS_PARTNER",
    "BudgetStore",
    "CallKey",
    "Headroom",
    "MemoryBudget",
    "Pacer",
    "Reservation",
]
