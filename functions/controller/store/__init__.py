"""The requests table behind one protocol: claims of request ids and parked task tokens.

:func:`current` is the store the steps use: DynamoDB when the function has its table
(``REQUESTS_TABLE``, the catalog's name for it, set by the stack and by the local runner), else this process's memory
(unit tests). Powertools' idempotency utility has the same shape: a persistence-layer protocol,
a DynamoDB implementation and an in-memory one.
"""

from __future__ import annotations

import os

from controller import catalog
from controller.store.base import COMPLETED, IN_PROGRESS, Claim, Parked, RequestStore
from controller.store.dynamodb import DynamoDBStore
from controller.store.memory import InMemoryStore

__all__ = ["COMPLETED", "IN_PROGRESS", "Claim", "DynamoDBStore", "InMemoryStore", "Parked", "RequestStore"]

TABLE_ENV = catalog.CONTROLLER.requests_table_variable
#: The store of a process without a table.
memory = InMemoryStore()


def current() -> RequestStore:
    table = os.environ.get(TABLE_ENV)
    return DynamoDBStore(table) if table else memory
