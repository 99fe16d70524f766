"""The public register of accredited micro-credentials and the exports of decisions."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("register", __name__)
