"""Who is acting: the Telegram user, their roles and their locale, for one update."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.enums import Role


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    target: str
    enterprise_id: int | None = None
    agency_id: int | None = None


@dataclass(slots=True)
class Viewer:
    user_id: int
    locale: str
    is_admin: bool = False
    grants: list[Grant] = field(default_factory=list)
    known: bool = False  # has a user row (someone who only tips never does)

    @property
    def roles(self) -> set[str]:
        roles = {g.role for g in self.grants}
        if self.is_admin:
            roles.add(Role.admin)
        return roles

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def targets(self, role: str) -> list[Grant]:
        return [g for g in self.grants if g.role == role]
