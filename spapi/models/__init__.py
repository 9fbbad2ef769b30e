"""Pydantic models of the SP-API responses spapi-notify reads (extra fields are kept, never rejected)."""
