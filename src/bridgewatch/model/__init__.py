"""Domain types: ids, enums, typed records and id <-> row index maps."""
