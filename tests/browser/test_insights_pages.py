"""An organiser reads their group's analytics and prints the value report, on a 360 px phone
and on a desktop: charts and tables fit the screen, the range form and the CSV exports work, a
bad range says why, and the printed report leaves the site's navigation out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.audit import problems
from tests.browser.flows import ask_question, create_group, sign_up, unique
from tests.browser.page_checks import axe_violations, missing_tools

SCREENS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("screen", SCREENS.keys())
def test_organiser__reads_the_insights_and_prints_the_value_report(
    browser: Browser, live_server: str, screen: str
) -> None:
    context = browser.new_context(base_url=live_server, viewport=SCREENS[screen])  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        # Given an organiser with a group and a question in it
        handle = unique("insight")
        sign_up(page, unique("olga"), "Olga Organiser")
        create_group(page, name="Insight club", handle=handle, description="", topics="")
        ask_question(page, handle=handle, title="Where do we start?", body="A first question.")

        # When she opens the group's Insights tab
        page.goto(f"/g/{handle}")
        page.get_by_role("navigation", name="Group sections").get_by_role(
            "link", name="Insights"
        ).click()
        expect(page).to_have_url(re.compile(rf"/g/{handle}/insights$"))
        # Then she sees the charts, each an image with a name, and the page fits her screen
        expect(page.get_by_role("heading", name="Insights", level=2)).to_be_visible()
        charts = page.locator("main svg[role=img]")
        expect(charts).to_have_count(6)
        expect(charts.first).to_be_visible()
        assert problems(page) == []
        if not missing_tools():
            assert axe_violations(page) == []
        # And a chart's numbers open as a table
        page.get_by_text("The numbers: Active members per week").click()
        expect(page.get_by_role("table", name="Active members per week")).to_be_visible()

        # When she chooses the last 30 days
        start = (datetime.now(UTC).date() - timedelta(days=29)).isoformat()
        page.get_by_label("From", exact=True).fill(start)
        page.get_by_role("button", name="Show").click()
        # Then the page covers them, and keeps her choice in the form
        expect(page).to_have_url(re.compile(rf"from={start}"))
        expect(page.get_by_label("From", exact=True)).to_have_value(start)
        expect(page.locator("main").get_by_text("(30 days;")).to_be_visible()

        # When she downloads the weekly table as CSV
        link = page.locator(f'a[href^="/g/{handle}/insights/weekly.csv?"]')
        expect(link).to_have_text(re.compile("Download as CSV"))
        response = page.request.get(str(link.get_attribute("href")))
        # Then it is a CSV file with its header row
        assert response.status == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.text().splitlines()[0] == (
            "Week of,Active members,New members,Posts,Replies,Questions asked,Thread views"
        )

        # When she mistypes a date in the address
        answer = page.goto(f"/g/{handle}/insights?from=yesterday")
        # Then the page says what is wrong
        assert answer is not None and answer.status == 400
        expect(page.locator("main")).to_contain_text("must be a date written as YYYY-MM-DD")

        # When she opens the printable value report
        page.goto(f"/g/{handle}/insights?from={start}")
        page.get_by_role("link", name="Printable value report").click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text("Insight club: what the community gave")
        assert problems(page) == []
        if not missing_tools():
            assert axe_violations(page) == []
        # Then, printed, it keeps the report and leaves the site's navigation out
        page.emulate_media(media="print")
        expect(heading).to_be_visible()
        expect(page.get_by_role("table", name="Questions and answers")).to_be_visible()
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.get_by_role("link", name="Back to the insights")).to_be_hidden()
    finally:
        context.close()
