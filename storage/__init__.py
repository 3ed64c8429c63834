"""Persistence: typed models, repositories, Alembic migrations and secret encryption."""
