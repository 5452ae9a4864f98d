"""The requests table behind one protocol (``store.base.ItemStore``): single items under conditions.

:func:`current` is the store the steps use: DynamoDB when the function has its table
(``REQUESTS_TABLE``, the catalog's name for it, set by the stack and by the local runner), else this process's memory
(unit tests). Powertools' idempotency utility has the same shape: a persistence-layer protocol,
a DynamoDB implementation and an in-memory one.
"""

from __future__ import annotations

import os

from controller import catalog
from controller.store.base import Item, ItemStore
from controller.store.dynamodb import DynamoDBStore
from controller.store.memory import InMemoryStore

__all__ = ["DynamoDBStore", "InMemoryStore", "Item", "ItemStore"]

TABLE_ENV = catalog.CONTROLLER.requests_table_variable
#: The store of a process without a table.
memory = InMemoryStore()


def current() -> ItemStore:
    table = os.environ.get(TABLE_ENV)
    return DynamoDBStore(table) if table else memory
