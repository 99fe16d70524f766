"""Accreditation decisions (four eyes, corrections) and the follow-up of their conditions."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("decisions", __name__)
