"""Just enough HTML reading for the live tests: forms with their fields, links and asset URLs.

Built on the standard library's HTMLParser, so a test reads a page as a browser without JavaScript
would: a form is sent with the values its fields hold, plus what the test fills in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    # name -> the values a browser would send as the page stands (hidden and text inputs, checked
    # boxes and radios, selected options, textareas)
    values: dict[str, list[str]] = field(default_factory=dict)
    # name -> every value the field can take (options of a select, values of radios and checkboxes)
    choices: dict[str, list[str]] = field(default_factory=dict)
    # formaction of each submit button that has one
    formactions: list[str] = field(default_factory=list)

    def data(self, **overrides: str) -> dict[str, list[str] | str]:
        """The form as it would be sent, with ``overrides`` set (a field set to None is left out)."""
        sent: dict[str, list[str] | str] = {name: list(values) for name, values in self.values.items()}
        for name, value in overrides.items():
            if value is None:
                sent.pop(name, None)
            else:
                sent[name] = value
        return sent


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.assets: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._option: dict | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("link", "script", "img") and (a.get("href") or a.get("src")):
            self.assets.append(a.get("href") or a.get("src"))
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                form.values.setdefault(name, [])
                if "checked" in a:
                    form.values[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.values.setdefault(name, []).append(a.get("value", ""))
        elif tag in ("button", "input") and a.get("formaction"):
            form.formactions.append(a["formaction"])
        elif tag == "select" and name:
            self._select = (name, [], [])
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea[1].append(data)

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            value = self._option["value"] if self._option["value"] is not None else self._option["text"].strip()
            self._select[1].append(value)
            if self._option["selected"]:
                self._select[2].append(value)
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, options, selected = self._select
            if self._form is not None:
                self._form.choices[name] = options
                self._form.values[name] = selected or options[:1]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.values[self._textarea[0]] = ["".join(self._textarea[1]).lstrip("\n")]
            self._textarea = None
        elif tag == "form":
            self._form = None


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def forms(html: str) -> list[Form]:
    return read(html).forms


def form_posting_to(html: str, action_part: str) -> Form:
    """The one form whose action contains ``action_part``."""
    found = [f for f in forms(html) if action_part in f.action]
    assert len(found) == 1, f"expected one form posting to {action_part!r}, found {[f.action for f in forms(html)]}"
    return found[0]


def links(html: str) -> list[str]:
    return read(html).links


def assets(html: str) -> list[str]:
    return read(html).assets
