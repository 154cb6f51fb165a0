"""Encrypted, minimized storage: the key ring, conversations, the encrypted tables and their
schema, the Redis client options, and the storage command line (`python -m haven.storage.cli`).
Table names, associated data and key-derivation labels never change with the code's layout
(tests/unit/storage/test_sealed_before_move.py)."""
