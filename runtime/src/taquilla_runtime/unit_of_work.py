"""The unit of work every service's application port extends.

A service's `application/ports.py` subclasses `UnitOfWork` and declares only its repositories; its
adapters implement `commit` and `rollback` (`taquilla_runtime.db.SqlTransaction`), its unit tests'
fakes in memory. Handlers write `async with uow:` and an explicit `await uow.commit()`: leaving the
block rolls back whatever was not committed.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self


class UnitOfWork(abc.ABC):
    """One transaction: everything done through it is committed together, or not at all."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Undoes whatever was not committed; harmless after a commit."""
