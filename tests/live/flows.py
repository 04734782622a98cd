"""What people do on Lyceum's pages, step by step, as the live scenarios need them.

Each step is the form a person would submit (with the CSRF token of the page the form is on) and
checks the answer a browser would get. Reading steps return what the page shows; the scenarios
poll them, since what happens on another instance arrives through the workers.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.live.harness import LiveError, Person, text_of

_THREAD_LINK = re.compile(r'<a href="/p/([0-9A-Za-z]+)">([^<]*)</a>')


def _expect_redirect(response_status: int, what: str) -> None:
    if response_status != 303:
        raise LiveError(f"{what}: answered {response_status}, wanted 303")


# -- groups --------------------------------------------------------------------------------


async def find_group(person: Person, handle: str) -> str:
    """Use the instance's find form on /groups with a handle like `@name@host:port`; return
    the path of the group's page here (`/g/name@host:port` for a group elsewhere)."""
    response = await person.submit("/groups/find", {"handle": handle}, form_page="/groups")
    _expect_redirect(response.status_code, f"finding {handle} on {person.instance.name}")
    return response.headers["location"]


def group_path(handle: str) -> str:
    """The path of a group's page from its handle (`name` or `name@host:port`)."""
    return "/g/" + quote(handle.removeprefix("@"), safe="@:")


async def join(person: Person, path: str, message: str = "") -> None:
    """Press Join in the group's header (or send the "Ask to join" form of an approval group)."""
    response = await person.submit(f"{path}/join", {"message": message}, form_page=path)
    _expect_redirect(response.status_code, f"{person.username} joining {path}")


async def leave(person: Person, path: str) -> None:
    response = await person.submit(f"{path}/leave", form_page=path)
    _expect_redirect(response.status_code, f"{person.username} leaving {path}")


async def members_text(person: Person, path: str) -> str:
    return text_of(await person.page(f"{path}/members"))


async def accept_join_request(moderator: Person, path: str, handle: str) -> None:
    """On the group's join requests page, press Accept beside the person with `handle`."""
    page = await moderator.page(f"{path}/requests")
    for item in page.split("<li>")[1:]:
        if handle in text_of(item):
            match = re.search(r'action="([^"]+/accept)"', item)
            if match:
                response = await moderator.submit(match.group(1), form_page=f"{path}/requests")
                _expect_redirect(response.status_code, f"accepting {handle}")
                return
    raise LiveError(f"{handle} is not among the join requests of {path}: {text_of(page)}")


# -- posts ---------------------------------------------------------------------------------


async def write_post(person: Person, path: str, title: str, body: str) -> str:
    """Start a discussion in the group; return the post's path (/p/<id>) here."""
    response = await person.submit(
        f"{path}/new",
        {"kind": "discussion", "title": title, "body": body, "link_url": ""},
        form_page=f"{path}/new",
    )
    _expect_redirect(response.status_code, f"{person.username} posting in {path}")
    return response.headers["location"]


async def thread_link(person: Person, path: str, title: str) -> str | None:
    """The path of the thread called `title` in the group's list here, if it is listed."""
    page = await person.page(path)
    for post_id, shown in _THREAD_LINK.findall(page):
        if text_of(shown) == title:
            return f"/p/{post_id}"
    return None


async def reply(person: Person, post: str, body: str) -> None:
    response = await person.submit(f"{post}/reply", {"body": body}, form_page=post)
    _expect_redirect(response.status_code, f"{person.username} replying to {post}")


async def edit(person: Person, post: str, title: str, body: str) -> None:
    response = await person.submit(
        f"{post}/edit", {"title": title, "body": body, "link_url": ""}, form_page=f"{post}/edit"
    )
    _expect_redirect(response.status_code, f"{person.username} editing {post}")


async def delete(person: Person, post: str) -> None:
    response = await person.submit(f"{post}/delete", form_page=post)
    _expect_redirect(response.status_code, f"{person.username} deleting {post}")


async def like(person: Person, post: str) -> None:
    response = await person.submit(f"{post}/like", form_page=post)
    _expect_redirect(response.status_code, f"{person.username} liking {post}")


async def thread_text(person: Person, post: str) -> str:
    """The visible text of a thread page, or "" once the page is gone (404)."""
    response = await person.client.get(post, follow_redirects=True)
    if response.status_code == 404:
        return ""
    if response.status_code != 200:
        raise LiveError(f"GET {post} on {person.instance.name}: {response.status_code}")
    return text_of(response.text)


async def standing(person: Person, path: str) -> str:
    """How the group's header shows the person: "member", "pending" or "outside"."""
    page = await person.page(path)
    header = text_of(page.split('class="group-header"', 1)[-1].split("</header>", 1)[0])
    if "Cancel request" in header:  # a pending request can be withdrawn
        return "pending"
    if re.search(r"\bLeave\b", header):
        return "member"
    return "outside"


# -- moderation ----------------------------------------------------------------------------


async def remove(moderator: Person, post: str, reason: str) -> None:
    """A moderator's Remove under a post (the reason goes to the moderation log)."""
    response = await moderator.submit(f"{post}/remove", {"reason": reason}, form_page=post)
    _expect_redirect(response.status_code, f"{moderator.username} removing {post}")


async def restore(moderator: Person, post: str, hub: str) -> None:
    """Restore, from the group's Moderation page where removed posts are listed."""
    response = await moderator.submit(f"{post}/restore", form_page=hub)
    _expect_redirect(response.status_code, f"{moderator.username} restoring {post}")


async def ban(moderator: Person, path: str, handle: str, reason: str) -> None:
    """On the group's member list, follow Ban beside the person with `handle` and confirm."""
    page = await moderator.page(f"{path}/members")
    for item in page.split("<li>")[1:]:
        if handle in text_of(item):
            match = re.search(r'href="([^"]+/ban)"', item)
            if match:
                form = match.group(1)
                response = await moderator.submit(form, {"reason": reason}, form_page=form)
                _expect_redirect(response.status_code, f"banning {handle}")
                return
    raise LiveError(f"{handle} has no Ban button on {path}/members: {text_of(page)}")


async def report(person: Person, post: str, comment: str) -> None:
    """The Report form under a post."""
    form = f"{post}/report"
    response = await person.submit(form, {"comment": comment}, form_page=form)
    _expect_redirect(response.status_code, f"{person.username} reporting {post}")


async def block_domain(admin: Person, domain: str, reason: str) -> None:
    """Admin, Domain blocks: suspend a domain."""
    response = await admin.submit(
        "/admin/domains",
        {"domain": domain, "severity": "suspend", "reason": reason},
        form_page="/admin/domains",
    )
    _expect_redirect(response.status_code, f"blocking {domain}")


async def unblock_domain(admin: Person, domain: str) -> None:
    """Admin, the domain's block: lift it."""
    response = await admin.submit(
        f"/admin/domains/{domain}/unblock", {}, form_page=f"/admin/domains/{domain}"
    )
    _expect_redirect(response.status_code, f"unblocking {domain}")
