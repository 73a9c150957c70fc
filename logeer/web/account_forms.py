"""Forms of the account pages: log-in code, forgotten password, set password, two-factor, and the
coordinator's edit pages for users and organisations."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .forms import CHOOSE, REQUIRED, Form

PASSWORD_HINT = _l("Minstens 12 tekens en niet makkelijk te raden. Een zin van drie of vier woorden die niet bij "
                   "elkaar horen is sterk en makkelijk te onthouden.")


class CodeForm(Form):
    code = StringField(_l("Code"), [DataRequired(REQUIRED), Length(max=64)],
                       description=_l("De 6 cijfers uit uw app, of een van uw herstelcodes."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                                  "autocapitalize": "off"})


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mailadres"), [DataRequired(REQUIRED), Length(max=254)], render_kw={"autocomplete": "username"})


class SetPasswordForm(Form):
    new_password = PasswordField(_l("Nieuw wachtwoord"), [DataRequired(REQUIRED), Length(max=200)],
                                 description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Nieuw wachtwoord nog een keer"),
        [DataRequired(REQUIRED), EqualTo("new_password", message=_l("De twee wachtwoorden zijn niet gelijk."))],
        render_kw={"autocomplete": "new-password"},
    )


class UserEditForm(Form):
    name = StringField(_l("Naam"), [DataRequired(REQUIRED), Length(max=200)], render_kw={"autocomplete": "off"})
    organisation_id = SelectField(_l("Organisatie"), [DataRequired(CHOOSE)], choices=[], coerce=int, validate_choice=True,
                                  description=_l("Verhuist u iemand naar een andere organisatie, dan wordt die overal uitgelogd."))
    active = BooleanField(_l("Kan inloggen"))


class OrganisationRenameForm(Form):
    name = StringField(_l("Naam"), [DataRequired(REQUIRED), Length(max=200)])
