"""A person-readable name for a browser ("Firefox 121 on Ubuntu") from its User-Agent header."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

__all__ = ["describe"]

UNKNOWN = "Unknown browser"


@lru_cache(maxsize=512)
def describe(user_agent: str) -> str:
    if not user_agent.strip():
        return UNKNOWN
    result = parse(user_agent)
    browser = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        agent = result.user_agent
        browser = agent.family + (f" {agent.major}" if agent.major else "")
    system = result.os.family if result.os is not None and result.os.family != "Other" else ""
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else UNKNOWN)
