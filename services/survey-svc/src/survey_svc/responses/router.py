"""Placeholder: routes arrive with their part of issue 4."""

from fastapi import APIRouter

router = APIRouter()
