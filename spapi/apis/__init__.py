"""Typed groups of SP-API operations, one module per API."""
