"""The store's alembic revision scripts (versions/0001 ... ), frozen DDL; see local_store/migrations.py."""
