"""The outbox as the coordinator sees it: failed e-mails, and a way to try them again."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..notify import outbox
from ..schemas import OutboxMessageSchema, OutboxQuerySchema, page_of
from ..sql import paginate
from .common import actor

blp = Blueprint("outbox", __name__, url_prefix="/api/v1", description="E-mail outbox (coordinator)")


@blp.route("/outbox", methods=["GET"])
@blp.arguments(OutboxQuerySchema(), location="query")
@blp.response(200, page_of(OutboxMessageSchema))
def list_messages(args):
    """The region's e-mails, newest first; `?status=failed` lists those given up on."""
    return paginate(outbox.messages(actor(), args.get("status")), args["page"], args["per_page"])


@blp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@blp.response(200, OutboxMessageSchema)
def retry(message_id):
    """Try a failed e-mail again (after the address was corrected at the source)."""
    message = outbox.retry_message(actor(), message_id)
    return message
