"""logeer: a respite-care (logeerzorg) bed booking and capacity service."""
from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate (`flask db check`) compares every table but pool_version, which only the
    migrations and triggers know (migration 0008, logeer/booking/bed_cards.py)."""
    return not (type_ == "table" and name == "pool_version")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application factory: config, extensions, blueprints, error handlers, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)

    from . import config

    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from .log_redaction import install as redact_tokens_in_logs

    redact_tokens_in_logs(app.logger)  # no questionnaire or calendar token in any log line

    from . import api, auth, cli, jobs, models, ops, outage, security_headers, transaction, web  # noqa: F401 - models registers the tables
    from .error_handlers import register_error_handlers
    from .extensions import csrf, db, migrate

    db.init_app(app)
    outage.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True,
                     include_object=_modelled)
    csrf.init_app(app)
    security_headers.init_app(app)
    auth.init_app(app, page_unauthorized=web.ended_session.unauthorized)
    api.init_app(app)
    app.register_blueprint(ops.bp)
    web.i18n.init_app(app)
    web.init_app(app)
    register_error_handlers(app, html_handler=web.error_page, csrf_handler=web.ended_session.csrf_failed)
    transaction.init_app(app)  # after every blueprint: each view commits in one place
    cli.init_app(app)
    jobs.init_app(app)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Trust exactly that many proxies' X-Forwarded-For/-Proto; request.remote_addr is then the
        # client's address (used by the session protection and the log-in limits).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app
