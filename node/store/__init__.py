"""The school's local store (SQLite), one module per concern; every SQL statement of the node
lives in this package, so commands and web pages call functions, never SQL.

``connection`` opens the file and holds the schema; the other modules read and write one
concern each (the outbox and receipts, releases and the budget ledger, the parent, the
schedule, the care cases).
"""

from node.store.connection import (
    SCHEMA,
    StoreError,
    change_mark,
    get_meta,
    open_store,
    set_meta,
    transaction,
)

__all__ = ["SCHEMA", "StoreError", "change_mark", "get_meta", "open_store", "set_meta", "transaction"]
