"""New identifiers: time-ordered note ids, pseudonymous participant ids, aliases, secrets."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["hash_secret", "new_alias", "new_note_id", "new_participant_id", "new_secret"]

# Snowflake layout of the public note ids: milliseconds since this epoch, shifted by 22 bits,
# so ids sort by creation time like the published ones ("ids are time-ordered", spec-extended
# §2.4).
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
_SEQUENCE_BITS = 22

_ADJECTIVES = (
    "amber", "brisk", "calm", "candid", "clever", "crisp", "deft", "eager", "fair", "gentle",
    "keen", "lucid", "merry", "noble", "plain", "quiet", "rapid", "sober", "steady", "vivid",
)  # fmt: skip
_NOUNS = (
    "badger", "beacon", "cedar", "comet", "falcon", "fjord", "harbor", "heron", "lantern",
    "maple", "meadow", "otter", "pine", "quartz", "raven", "river", "sparrow", "summit",
    "tundra", "willow",
)  # fmt: skip


def new_note_id(now_ms: int) -> int:
    """A 63-bit note id whose high bits are ``now_ms`` (time-ordered, like the public ids)."""
    return ((now_ms - _SNOWFLAKE_EPOCH_MS) << _SEQUENCE_BITS) | secrets.randbits(_SEQUENCE_BITS)


def new_participant_id() -> str:
    """A pseudonymous participant id: 64 upper-case hex digits, as in the public files."""
    return secrets.token_hex(32).upper()


def new_alias() -> str:
    """An auto-generated display name such as ``calm-heron-4821`` (spec-extended §7.1)."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(10**6):06d}"


def new_secret(prefix: str) -> str:
    """A bearer secret (API key or session token) with a readable prefix."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest of a secret; only digests are stored (secrets have 256-bit entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()
