"""The store: peewee models, queries, transactions and migrations. No proto types."""
