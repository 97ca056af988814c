"""Who may do what: invite targets and the command table by role (plain data)."""

from __future__ import annotations

from dataclasses import dataclass

from domain import divisions, uscc
from domain.enums import Role


class TargetError(ValueError):
    """An invite target of the wrong form; the message is a reason key."""


# The words people use for each role, besides its own name.
ROLE_WORDS = {
    Role.owner: ("企业负责人", "负责人", "企业主", "业主", "企业", "老板"),
    Role.staff: ("服务人员", "机构人员", "工作人员", "咨询人员", "员工"),
    Role.regulator: ("监管人员", "监管部门", "监管", "应急管理局", "安监", "安监站"),
    Role.admin: ("管理员", "系统管理员"),
}
_BY_WORD = {word: role for role, words in ROLE_WORDS.items() for word in (*words, role.value)}


def role_from_word(word: str) -> Role | None:
    """The role a person named, in English or Chinese (`owner`, 企业负责人, 监管 …)."""
    return _BY_WORD.get(word.strip().lower())


def normalise_target(role: str, target: str) -> str:
    """The canonical form of an invite target: `owner USCC`, `staff AGENCY_CODE`,
    `regulator DIVISION_PREFIX`, `admin -`."""
    if role == Role.owner:
        try:
            return uscc.validate(target)
        except uscc.USCCError as exc:
            raise TargetError(f"uscc_{exc}") from None
    if role == Role.staff:
        if not target or len(target) > 50:
            raise TargetError("agency_code")
        return target
    if role == Role.regulator:
        if not divisions.is_jurisdiction(target):
            raise TargetError("division_prefix")
        return target
    if role == Role.admin:
        if target != "-":
            raise TargetError("admin_target")
        return target
    raise TargetError("role")


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[str]  # empty: everyone


def _spec(name: str, *roles: Role) -> CommandSpec:
    return CommandSpec(name, frozenset(roles))


COMMANDS: tuple[CommandSpec, ...] = (
    _spec("start"),
    _spec("help"),
    _spec("cancel"),
    _spec("language"),
    _spec("whoami"),
    _spec("tip"),
    _spec("follow"),
    _spec("status", Role.owner),
    _spec("hazards", Role.owner),
    _spec("rate", Role.owner),
    _spec("qr", Role.owner),
    _spec("clients", Role.staff),
    _spec("visit", Role.staff),
    _spec("hazard", Role.staff),
    _spec("report", Role.staff),
    _spec("verify", Role.staff),
    _spec("due", Role.staff),
    _spec("digest", Role.regulator),
    _spec("tips", Role.regulator),
    _spec("overdue", Role.regulator),
    _spec("agencies", Role.regulator),
    _spec("enterprise", Role.regulator),
    _spec("subsidy", Role.regulator),
    _spec("coverage", Role.regulator),
    _spec("invite", Role.admin),
    _spec("import", Role.admin),
    _spec("channels", Role.regulator, Role.admin),
    _spec("stats", Role.admin),
)
BY_NAME = {c.name: c for c in COMMANDS}


def allowed(spec: CommandSpec, roles: set[str]) -> bool:
    return not spec.roles or bool(spec.roles & roles)


def menu(roles: set[str]) -> list[CommandSpec]:
    """Commands offered to someone with these roles, in the table's order."""
    return [c for c in COMMANDS if allowed(c, roles)]
