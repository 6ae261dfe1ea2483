"""Scrapy add-on that builds the crawler's User-Agent from the user's contact address."""

from __future__ import annotations

import os

from k12signals import __version__

CONTACT_VARIABLE = "K12SIGNALS_CONTACT"


def build_user_agent(contact: str | None) -> str:
    if contact:
        return f"k12-signals/{__version__} (school district research crawler; contact: {contact})"
    return f"k12-signals/{__version__} (school district research crawler)"


class CrawlerIdentity:
    """Set USER_AGENT from the CRAWL_CONTACT setting or the K12SIGNALS_CONTACT variable.

    Site owners read the contact address in their logs, so every user should
    set their own. A USER_AGENT given on the command line (-s USER_AGENT=...)
    still wins, because command-line settings have a higher priority than
    add-ons.
    """

    def update_settings(self, settings) -> None:
        contact = settings.get("CRAWL_CONTACT") or os.environ.get(CONTACT_VARIABLE) or ""
        settings.set("CRAWL_CONTACT", contact, priority="addon")
        settings.set("USER_AGENT", build_user_agent(contact), priority="addon")
