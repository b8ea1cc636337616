"""Rater similarity, diversity and polarization from learned embeddings."""
