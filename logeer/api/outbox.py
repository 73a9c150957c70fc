"""The outbox as the coordinator sees it: failed e-mails, and a way to try them again."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Response
from flask_smorest import Blueprint

from ..booking import audit
from ..booking.errors import Forbidden
from ..models import OutboxMessage
from ..notify.outbox import retry_message
from ..schemas import OutboxMessageSchema, OutboxQuerySchema, page_of
from .common import actor, commit, paginate

_PAGE = page_of(OutboxMessageSchema)()
blp = Blueprint("outbox", __name__, url_prefix="/api/v1", description="E-mail outbox (coordinator)")


def _coordinator():
    user = actor()
    if user.role != "coordinator":
        raise Forbidden()
    return user


@blp.route("/outbox", methods=["GET"])
@blp.arguments(OutboxQuerySchema(), location="query")
@blp.response(200, page_of(OutboxMessageSchema))
def list_messages(args):
    """The region's e-mails, newest first; `?status=failed` lists those given up on."""
    user = _coordinator()
    query = sa.select(OutboxMessage).where(OutboxMessage.region_id == user.region_id)
    if args.get("status"):
        query = query.where(OutboxMessage.status == args["status"])
    result = paginate(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()), args["page"], args["per_page"])
    # The recipients are people's e-mail addresses (caregivers among them): the read is audited.
    audit.record(user, "outbox_read", "outbox_message", None, ids=[m.id for m in result["items"]],
                 status=args.get("status"))
    body = _PAGE.dump(result)
    commit()
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


@blp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@blp.response(200, OutboxMessageSchema)
def retry(message_id):
    """Try a failed e-mail again (after the address was corrected at the source)."""
    message = retry_message(actor(), message_id)
    commit()
    return message
