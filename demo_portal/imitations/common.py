"""Scaffolding shared by the imitation sites built on a ``content.build_plan``.

Why: every family site builds its plan the same way, indexes its articles by path, serves an
article page for an indexed path and hands the plan to ``content.manifest`` with its own URL
functions. Only the URL shapes and page markup differ per family, so those stay in the family
modules and this base holds the rest once.
"""
from __future__ import annotations

from . import ImitationSite, Reply
from .content import Doc, build_plan, manifest

NEIGHBOUR_HOST = "www.neighbour.demo.test"


class PlannedSite(ImitationSite):
    """An imitation whose content is one plan: ``(city, town, street, seed, neighbour path, first number)``."""

    plan_args: tuple[str, str, str, str, str, int] = ("", "", "", "", "/", 1000)
    home_path = "/"

    def __init__(self, port: int) -> None:
        super().__init__(port)
        city, town, street, seed, neighbour_path, first_number = self.plan_args
        self.plan = build_plan(city, town, street, seed, f"http://{NEIGHBOUR_HOST}:{port}{neighbour_path}", first_number)
        self.docs_by_path = {self.article_path(d): d for d in self.plan.docs if not d.offsite_url}

    # each family defines its URL shapes and article markup
    def article_path(self, d: Doc) -> str:
        raise NotImplementedError

    def attachment_path(self, d: Doc) -> str:
        raise NotImplementedError

    def article(self, d: Doc) -> str:
        raise NotImplementedError

    def doc_aliases(self, d: Doc) -> list[str]:
        """Other absolute URLs the same document is served at (none unless a family files it twice)."""
        return []

    def article_reply(self, path: str) -> Reply | None:
        """The article page for an indexed path, or None."""
        d = self.docs_by_path.get(path)
        return Reply(body=self.article(d)) if d is not None else None

    def attachment_reply(self, path: str) -> Reply | None:
        """The PDF served at ``path`` when the family's attachments are plain paths, or None."""
        for d in self.plan.docs:
            if d.pdf and path == self.attachment_path(d):
                return Reply(body=d.pdf, ctype="application/pdf")
        return None

    def manifest(self) -> dict:
        return manifest(self.plan, lambda d: self.url(self.article_path(d)), lambda d: self.url(self.attachment_path(d)),
                        self.family, self.host, {"home": self.url(self.home_path)}, aliases_of=self.doc_aliases)
