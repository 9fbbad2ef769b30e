"""store: persistence of spapi-notify (SQLAlchemy 2 async; PostgreSQL in production, SQLite embedded)."""
