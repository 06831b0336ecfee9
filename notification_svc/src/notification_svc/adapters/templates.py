"""Email bodies from Jinja2 templates, Spanish and English, HTML and plain text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from notification_svc.application.ports import RenderedMessage, Renderer

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SUBJECTS = {
    ("EventCreated", "es"): "Tu evento «{name}» quedó registrado",
    ("EventCreated", "en"): 'Your event "{name}" was created',
    ("EventPublished", "es"): "«{name}» ya está publicado",
    ("EventPublished", "en"): '"{name}" is now published',
}
LOCALES = ("es", "en")


class JinjaRenderer(Renderer):
    def __init__(self, default_locale: str = "es", directory: Path = TEMPLATES) -> None:
        self._default = default_locale if default_locale in LOCALES else "es"
        loader = jinja2.FileSystemLoader(str(directory))
        self._html = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self._text = jinja2.Environment(loader=loader, autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701 (plain text)

    def render(self, message_type: str, locale: str, context: dict[str, Any]) -> RenderedMessage:
        language = locale.split("-", maxsplit=1)[0].lower() if locale else self._default
        if language not in LOCALES:
            language = self._default
        name = str(context.get("event", {}).get("name", ""))
        return RenderedMessage(
            subject=SUBJECTS[(message_type, language)].format(name=name),
            text=self._text.get_template(f"{language}/{message_type}.txt").render(context),
            html=self._html.get_template(f"{language}/{message_type}.html").render(context),
        )
