"""One PostgreSQL transaction per use case, shared by every repository, the inbox and the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from taquilla_runtime.db import SqlTransaction
from ticketing_svc.adapters.checkin_repository import SqlCheckIns
from ticketing_svc.adapters.export_repository import SqlExports
from ticketing_svc.adapters.order_repository import (
    SqlCancellations,
    SqlOrders,
    SqlPaymentNotices,
    SqlRefunds,
    SqlTickets,
)
from ticketing_svc.adapters.outbox import SqlOutbox
from ticketing_svc.adapters.report_repository import SqlReports
from ticketing_svc.adapters.repository import (
    SqlCatalogCopy,
    SqlCustomerPlaces,
    SqlInbox,
    SqlInventory,
    SqlReservations,
)
from ticketing_svc.adapters.transfer_repository import SqlTransfers
from ticketing_svc.adapters.waitlist_repository import SqlWaitlist
from ticketing_svc.application.ports import UnitOfWork


class SqlUnitOfWork(SqlTransaction, UnitOfWork):
    # SqlTransaction comes first: its connection handling implements UnitOfWork's commit/rollback.
    def bind(self, connection: AsyncConnection) -> None:
        self.catalog = SqlCatalogCopy(connection)
        self.inventory = SqlInventory(connection)
        self.customers = SqlCustomerPlaces(connection)
        self.reservations = SqlReservations(connection)
        self.orders = SqlOrders(connection)
        self.tickets = SqlTickets(connection)
        self.transfers = SqlTransfers(connection)
        self.checkins = SqlCheckIns(connection)
        self.refunds = SqlRefunds(connection)
        self.notices = SqlPaymentNotices(connection)
        self.cancellations = SqlCancellations(connection)
        self.waitlist = SqlWaitlist(connection)
        self.inbox = SqlInbox(connection)
        self.outbox = SqlOutbox(connection)
        self.reports = SqlReports(connection)
        self.exports = SqlExports(connection)
