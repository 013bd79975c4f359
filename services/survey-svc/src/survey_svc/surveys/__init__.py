"""Questionnaires: survey definitions, their published versions, retirement."""
