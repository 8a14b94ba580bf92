"""Datasets, scores against labels, and rendered people with known angles."""
