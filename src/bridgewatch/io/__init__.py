"""Readers and writers of the public Community Notes files (TSV, zip, Parquet)."""
