"""The schema of one public file type: column names, dtypes, required or optional, enum literals.

A :class:`Schema` is the single source of truth for one file type: readers use it to match
header names (never positions), to type and validate each field; writers use its column order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

__all__ = ["Column", "Schema"]


@dataclass(frozen=True)
class Column:
    """One column of a public file.

    Parameters
    ----------
    name : the canonical (published) column name.
    dtype : the canonical polars dtype of the column in a read frame. Enum columns use
        ``polars.Enum`` whose categories are the allowed TSV literals.
    required : the header must contain the column; optional columns that are absent are
        added as all-null columns of ``dtype``.
    nullable : an empty field is allowed; when false an empty field is a bad row.
    aliases : older header names that mean the same column (renamed on read).
    """

    name: str
    dtype: pl.DataType
    required: bool = False
    nullable: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...] | None:
        """The allowed literals of an enum column, ``None`` for any other column."""
        if isinstance(self.dtype, pl.Enum):
            return tuple(self.dtype.categories.to_list())
        return None


@dataclass(frozen=True)
class Schema:
    """The columns of one file type, in published order.

    Parameters
    ----------
    name : short name of the file type, used in messages (``"ratings"``).
    columns : the columns in published order.
    required_any : groups of alternatives; for each group, the header must hold every
        column of at least one alternative (ratings: ``helpfulnessLevel``, or the legacy
        ``helpful`` + ``notHelpful``).
    """

    name: str
    columns: tuple[Column, ...]
    required_any: tuple[tuple[tuple[str, ...], ...], ...] = ()
    _by_name: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Column] = {}
        for column in self.columns:
            for key in (column.name, *column.aliases):
                by_name[key] = column
        object.__setattr__(self, "_by_name", by_name)

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names in published order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns that every file must have."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def polars_schema(self) -> pl.Schema:
        """The canonical polars schema of a read frame."""
        return pl.Schema([(c.name, c.dtype) for c in self.columns])

    def column(self, name: str) -> Column | None:
        """The column with this canonical name or alias, ``None`` if unknown."""
        return self._by_name.get(name)

    def with_columns(self, columns: Iterable[Column], *, name: str | None = None) -> Schema:
        """A copy with some columns replaced (same name) or appended."""
        replaced = {c.name: c for c in columns}
        kept = [replaced.pop(c.name, c) for c in self.columns]
        return Schema(name or self.name, (*kept, *replaced.values()), self.required_any)
