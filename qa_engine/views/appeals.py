"""Appeals, validity and expiry of approvals, their withdrawal, and periodic review."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appeals", __name__)
