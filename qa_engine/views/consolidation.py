"""Consolidation of the reviews, the draft panel report and the provider's response."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consolidation", __name__)
