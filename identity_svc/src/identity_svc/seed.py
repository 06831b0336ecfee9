"""Demo data for `make up`: one organization and one account per role. Safe to run again.

The passwords are public (printed by `make up`); the command refuses to run in production.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from identity_svc.bootstrap import build_engine, build_password_hasher, unit_of_work_factory
from identity_svc.config import Settings
from identity_svc.domain.model import Organization, Role, User
from identity_svc.domain.passwords import password_problems

DEMO_ORGANIZATION_ID = uuid.UUID("5e1d0000-0000-4000-8000-000000000001")
DEMO_ORGANIZATION_NAME = "Producciones Demo"


@dataclass(frozen=True)
class DemoAccount:
    id: uuid.UUID
    email: str
    password: str
    full_name: str
    role: Role

    @property
    def organization_id(self) -> uuid.UUID | None:
        return DEMO_ORGANIZATION_ID if self.role in (Role.ORGANIZER, Role.STAFF) else None


DEMO_ACCOUNTS = (
    DemoAccount(
        uuid.UUID("5e1d0000-0000-4000-8000-000000000003"),
        "admin@taquilla.demo",
        "Faro-Cobalto-Marea-2026",
        "Ada Administradora",
        Role.ADMIN,
    ),
    DemoAccount(
        uuid.UUID("5e1d0000-0000-4000-8000-000000000002"),
        "organizer@taquilla.demo",
        "Tambor-Violeta-Niebla-7",
        "Olga Organizadora",
        Role.ORGANIZER,
    ),
    DemoAccount(
        uuid.UUID("5e1d0000-0000-4000-8000-000000000004"),
        "staff@taquilla.demo",
        "Puerta-Granito-Sol-31",
        "Sergio Portero",
        Role.STAFF,
    ),
    DemoAccount(
        uuid.UUID("5e1d0000-0000-4000-8000-000000000005"),
        "customer@taquilla.demo",
        "Cielo-Naranja-Viento-9",
        "Carla Compradora",
        Role.CUSTOMER,
    ),
)


def demo_accounts_text() -> str:
    return "\n".join(f"  {a.role.value:<10} {a.email:<26} {a.password}" for a in DEMO_ACCOUNTS)


async def seed(settings: Settings) -> None:
    if settings.environment == "production":
        raise SystemExit("refusing to load demo accounts with public passwords in production")
    engine = build_engine(settings)
    hasher = build_password_hasher()
    try:
        async with unit_of_work_factory(engine)() as uow:
            if await uow.organizations.get(DEMO_ORGANIZATION_ID) is None:
                await uow.organizations.add(
                    Organization(DEMO_ORGANIZATION_ID, DEMO_ORGANIZATION_NAME, dt.datetime.now(dt.UTC))
                )
            for account in DEMO_ACCOUNTS:
                assert not password_problems(
                    account.password, email=account.email, full_name=account.full_name
                )
                if await uow.users.by_email(account.email) is None:
                    await uow.users.add(
                        User(
                            id=account.id,
                            email=account.email,
                            full_name=account.full_name,
                            role=account.role,
                            password_hash=await hasher.hash(account.password),
                            organization_id=account.organization_id,
                        )
                    )
            await uow.audit.append(
                actor="seed",
                action="seed.demo_accounts",
                target="users",
                correlation_id="",
                outcome="success",
            )
            await uow.commit()
        # Never log the passwords; `make up` shows them from the file devstack writes.
        print(f"demo data ready: 1 organization, {len(DEMO_ACCOUNTS)} accounts", flush=True)
    finally:
        await engine.dispose()
