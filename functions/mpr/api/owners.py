"""Who sees what: a key sees the jobs and uploads it owns; an admin key sees every owner's."""

from __future__ import annotations

from dataclasses import dataclass

from mpr.adapters.api_keys import ApiKey


@dataclass(frozen=True)
class Caller:
    """The owner a request acts for, and whether it may act on everyone's records."""

    owner: str
    admin: bool = False

    @classmethod
    def of(cls, key: ApiKey) -> Caller:
        return cls(owner=key.key_id, admin=key.admin)

    def sees(self, owner: str | None) -> bool:
        return self.admin or owner == self.owner

    @property
    def owner_filter(self) -> str | None:
        """The owner a listing is limited to; None (everyone's) for an admin."""
        return None if self.admin else self.owner
