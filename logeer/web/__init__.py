"""The HTML pages."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/login")
def login():
    return render_template("index.html")


def error_page(status: int, code: str | None, message: str | None, fields: dict | None):
    """An HTML error page in the site's look."""
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
