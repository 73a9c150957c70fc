"""Evaluation metrics (one definition of each, see DOMAIN.md), exports and pseudonymisation."""
