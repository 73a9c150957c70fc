"""The outbox as the coordinator sees it: failed e-mails, and a way to try them again."""
from __future__ import annotations

import json

from flask import Response
from flask_smorest import Blueprint

from ..notify import outbox
from ..schemas import OutboxMessageSchema, OutboxQuerySchema, page_of
from .common import actor

_PAGE = page_of(OutboxMessageSchema)()
blp = Blueprint("outbox", __name__, url_prefix="/api/v1", description="E-mail outbox (coordinator)")


@blp.route("/outbox", methods=["GET"])
@blp.arguments(OutboxQuerySchema(), location="query")
@blp.response(200, page_of(OutboxMessageSchema))
def list_messages(args):
    """The region's e-mails, newest first; `?status=failed` lists those given up on."""
    body = _PAGE.dump(outbox.message_page(actor(), args.get("status"), args["page"], args["per_page"]))
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


@blp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@blp.response(200, OutboxMessageSchema)
def retry(message_id):
    """Try a failed e-mail again (after the address was corrected at the source)."""
    message = outbox.retry_message(actor(), message_id)
    return message
