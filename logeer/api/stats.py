"""Statistics and pseudonymised exports of the region (evaluators and the coordinator)."""
from __future__ import annotations

from flask import Response, stream_with_context
from flask_smorest import Blueprint

from ..booking import audit
from ..booking.roles import STATISTICS_READERS, require
from ..models import User
from ..stats import exports
from ..stats.schemas import EvaluationSummarySchema, OptionalRangeQuerySchema, RangeQuerySchema, StatsSummarySchema
from ..stats.summary import evaluation_summary, occupancy_summary
from .common import actor

blp = Blueprint("stats", __name__, url_prefix="/api/v1",
                description="Statistics and pseudonymised exports (evaluator, coordinator)")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def evaluator() -> User:
    """The acting user when they may read the region's statistics: evaluator or coordinator (403 otherwise)."""
    return require(actor(), STATISTICS_READERS, "Alleen evaluatoren en de regiocoördinator zien de statistieken.")


@blp.route("/stats/summary", methods=["GET"])
@blp.arguments(RangeQuerySchema(), location="query")
@blp.response(200, StatsSummarySchema)
def summary(args):
    """Bed-nights, occupancy, stays and demand for nights ``[from, to)``, by provider and by month."""
    user = evaluator()
    return occupancy_summary(user.region, args["from_"], args["to"])


@blp.route("/stats/evaluation", methods=["GET"])
@blp.arguments(RangeQuerySchema(), location="query")
@blp.response(200, EvaluationSummarySchema)
def evaluation(args):
    """Everything the dashboard shows: the summary plus breakdowns, medians and questionnaire figures."""
    user = evaluator()
    return evaluation_summary(user.region, args["from_"], args["to"])


def stream_export(export: exports.Export, fmt: str, filename: str) -> Response:
    """A streamed download of ``export`` as CSV or XLSX."""
    if fmt == "csv":
        body = (chunk.encode("utf-8") for chunk in exports.csv_chunks(export))
    else:
        body = exports.xlsx_chunks(export)
    # content_type, not mimetype: Werkzeug adds "; charset=utf-8" to a text/* mimetype a second time
    response = Response(stream_with_context(body), content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _export_view(name: str, fmt: str, optional_range: bool):
    def view(args):
        user = evaluator()
        start, end = args.get("from_"), args.get("to")
        export = exports.EXPORTS[name](user.region, start, end)
        audit.record(user, "export_downloaded", "export", None, export=f"{name}.{fmt}",
                     **{"from": start, "to": end})
        suffix = f"-{start.isoformat()}-{end.isoformat()}" if start else ""
        return stream_export(export, fmt, f"logeer-{name}{suffix}.{fmt}")

    view.__name__ = f"export_{name}_{fmt}"
    view.__doc__ = f"The {name} export as {fmt.upper()} (pseudonymised, streamed). See docs/evaluation.md."
    schema = OptionalRangeQuerySchema if optional_range else RangeQuerySchema
    view = blp.arguments(schema(), location="query")(view)
    view = blp.doc(responses={"200": {"description": f"{name}.{fmt}",
                                      "content": {MIMETYPES[fmt].split(";")[0]: {"schema": {"type": "string",
                                                                                              "format": "binary"}}}}})(view)
    return blp.route(f"/exports/{name}.{fmt}", methods=["GET"])(view)


for _name in exports.EXPORTS:
    for _fmt in ("csv", "xlsx"):
        _export_view(_name, _fmt, optional_range=_name == "surveys")
