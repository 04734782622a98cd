"""Community insight: the figures organisers show to prove what their community is worth.

- `views`: thread page views, counted in memory and written in batches (no reader, no address);
- `dirty`: which days of which groups changed, marked by domain events;
- `rollups`: the worker recomputes the marked days (`RollupWorker`);
- `dates`: the date range a report covers, read from a request;
- `report`: a report for one group or the whole instance, read from the rollups.
"""

from server.services.insights import dates, dirty, report, rollups, views
from server.services.insights.dates import BadRange, DateRange
from server.services.insights.report import Report, build_report
from server.services.insights.rollups import RollupWorker
from server.services.insights.views import ViewCounter

__all__ = [
    "BadRange",
    "DateRange",
    "Report",
    "RollupWorker",
    "ViewCounter",
    "build_report",
    "dates",
    "dirty",
    "report",
    "rollups",
    "views",
]
