"""Shared plumbing for the CSQ services. Small and boring on purpose."""
