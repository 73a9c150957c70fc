"""Accounts: organisations renamed, password reset by e-mail, two-factor log-in."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..accounts import links, two_factor
from .. import accounts
from ..schemas import (
    OrganisationPatchSchema,
    OrganisationSchema,
    PasswordResetConfirmInSchema,
    PasswordResetInSchema,
    RecoveryCodesSchema,
    TwoFactorCodeInSchema,
    TwoFactorEnrolmentSchema,
)
from .common import actor

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Password reset, two-factor log-in, renaming")


@blp.route("/organisations/<int:organisation_id>", methods=["PATCH"])
@blp.arguments(OrganisationPatchSchema())
@blp.response(200, OrganisationSchema)
def update_organisation(data, organisation_id):
    """Rename an organisation (coordinator of its region)."""
    org = accounts.rename_organisation(actor(), organisation_id, data)
    return org


@blp.route("/auth/password-reset", methods=["POST"])
@blp.arguments(PasswordResetInSchema())
@blp.response(202)
def request_password_reset(data):
    """E-mail a reset link (valid 1 hour) when the address is a user's; 202 whatever the address."""
    links.request_password_reset(data["email"])


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.arguments(PasswordResetConfirmInSchema())
@blp.response(204)
def confirm_password_reset(data):
    """Choose a new password with the link's token; every session and token of the user ends."""
    links.set_password_with_link(data["token"], data["password"])


@blp.route("/me/two-factor", methods=["POST"])
@blp.response(200, TwoFactorEnrolmentSchema)
def start_two_factor():
    """Start turning two-factor on: a new secret, to put in an authenticator app."""
    secret, uri = two_factor.start_enrolment(actor())
    return {"secret": secret, "otpauth_uri": uri}


@blp.route("/me/two-factor/confirm", methods=["POST"])
@blp.arguments(TwoFactorCodeInSchema())
@blp.response(200, RecoveryCodesSchema)
def confirm_two_factor(data):
    """Turn two-factor on with a first code from the app; returns 10 recovery codes, once."""
    codes = two_factor.confirm_enrolment(actor(), data["code"])
    return {"recovery_codes": codes}


@blp.route("/me/two-factor", methods=["DELETE"])
@blp.arguments(TwoFactorCodeInSchema())
@blp.response(204)
def disable_two_factor(data):
    """Turn two-factor off with a code (refused while the region requires it)."""
    two_factor.disable(actor(), data["code"])


@blp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@blp.response(204)
def reset_two_factor(user_id):
    """Turn a user's two-factor off (coordinator; a lost phone): audited, the user's tokens end."""
    two_factor.reset_for(actor(), user_id)
