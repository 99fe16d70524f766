"""The reviewer pool and panel composition: QA officers build each programme's panel."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("panel", __name__)
