"""Tokens, the current user, organisations, users and the region."""
from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from ..accounts import links, two_factor
from ..auth import bearer_token
from .. import accounts
from ..booking.errors import InvalidCredentials
from ..schemas import (
    MePatchSchema,
    MeSchema,
    OrganisationInSchema,
    OrganisationQuerySchema,
    OrganisationSchema,
    PageQuerySchema,
    RegionPatchSchema,
    RegionSchema,
    TokenInSchema,
    TokenSchema,
    UserInSchema,
    UserPatchSchema,
    UserSchema,
    page_of,
)
from ..sql import paginate
from .common import actor

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log-in, users, organisations, region")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenInSchema())
@blp.response(200, TokenSchema)
def create_token(data):
    """Log in with e-mail and password; returns a bearer token.

    Failed log-ins are limited per account and per client address (README "Configuration"),
    with a growing wait between an account's failures; past a limit the answer is 429
    `too_many_attempts` with `Retry-After` (seconds).
    """
    config = current_app.config
    user = accounts.authenticate(data["email"], data["password"], address=request.remote_addr,
                                 limits=accounts.LoginLimits.from_config(config))
    if user is None:  # the failure's audit entry is already committed (accounts.authenticate)
        raise InvalidCredentials()
    refusal = two_factor.token_refusal(user, data.get("code"), max_failures=config["LOGIN_MAX_FAILURES"],
                                       lockout_minutes=config["LOGIN_LOCKOUT_MINUTES"])
    if refusal is not None:  # a wrong code is already committed: it counts towards the lock-out
        raise refusal
    token, expires_at = accounts.issue_token(user, config["TOKEN_TTL_HOURS"])
    return {"token": token, "expires_at": expires_at}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
def delete_token():
    """Revoke the token used for this request."""
    actor()
    token = bearer_token()
    if token:
        accounts.revoke_token(token)


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
def me():
    """Who am I."""
    return actor()


@blp.route("/me", methods=["PATCH"])
@blp.arguments(MePatchSchema())
@blp.response(200, MeSchema)
def update_me(data):
    """Change one's own settings: daily summary e-mail on or off, language."""
    user = accounts.update_own_settings(actor(), data)
    return user


@blp.route("/organisations", methods=["POST"])
@blp.arguments(OrganisationInSchema())
@blp.response(201, OrganisationSchema)
def create_organisation(data):
    org = accounts.create_organisation(actor(), data["name"], data["kind"])
    return org


@blp.route("/organisations", methods=["GET"])
@blp.arguments(OrganisationQuerySchema(), location="query")
@blp.response(200, page_of(OrganisationSchema))
def list_organisations(args):
    return paginate(accounts.list_organisations(actor(), args.get("kind")), args["page"], args["per_page"])


@blp.route("/users", methods=["POST"])
@blp.arguments(UserInSchema())
@blp.response(201, UserSchema)
def create_user(data):
    """Without ``password``: the user is invited by e-mail (status ``invited``) to choose one."""
    if "password" in data:
        user = accounts.create_user(actor(), **data)
    else:
        user = links.invite_user(actor(), **data)
    return user


@blp.route("/users", methods=["GET"])
@blp.arguments(PageQuerySchema(), location="query")
@blp.response(200, page_of(UserSchema))
def list_users(args):
    return paginate(accounts.list_users(actor()), args["page"], args["per_page"])


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserPatchSchema())
@blp.response(200, UserSchema)
def update_user(data, user_id):
    user = accounts.update_user(actor(), user_id, data)
    return user


@blp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@blp.response(204)
def end_user_sessions(user_id):
    """End every session and token of a user ("afmelden overal"; coordinator).

    Every logged-in page and every bearer token of the user stops working at once (also the
    caller's own, when the user is the caller). The user can log in again. Audited as
    `sessions_ended`.
    """
    accounts.end_sessions_of(actor(), user_id)


@blp.route("/regions/current", methods=["GET"])
@blp.response(200, RegionSchema)
def current_region():
    return actor().region


@blp.route("/regions/current", methods=["PATCH"])
@blp.arguments(RegionPatchSchema())
@blp.response(200, RegionSchema)
def update_region(data):
    settings = data.get("settings")
    if settings:
        settings = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in settings.items()}
    region = accounts.update_region(actor(), data.get("municipalities"), settings)
    return region
