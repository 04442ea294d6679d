"""Render a checked issue in its house style: ``render_document`` is the one entry point.

Every format it can make is in ``registry.FORMATS``; the rendering itself is in
``document``. This package file stays empty of work because ``newsletter --help`` imports
the registry (its format names are in the help) and, with it, this file: the names below
load with their module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsletter.render.document import (
        MailHeaders,
        RenderWarning,
        SitePage,
        document_title,
        forget_templates,
        paper_anchors,
        render_document,
        render_text,
    )

__all__ = ["MailHeaders", "RenderWarning", "SitePage", "document_title", "forget_templates",
           "paper_anchors", "render_document", "render_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from newsletter.render import document

        return getattr(document, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
