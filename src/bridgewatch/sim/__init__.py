"""Synthetic communities and adversaries."""
