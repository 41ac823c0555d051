"""``guanai aggregator web``: the bureaus' web pages, served by each aggregator.

County, city and provincial staff see completeness (一个都不少), the statistics table and
its exports (and, from the ``webcharts`` pages, warnings, trends and decisions) in a browser,
on the same functions the CLI and the gRPC services call: the pages are an edge like the CLI
and hold no SQL (storage is aggregator/store/). What the school's pages share with these is in
common/web/ (CSRF, passwords, the server and TLS, the stylesheet).

Adding a page: a module ``routes_<page>.py`` with a ``blueprint``, listed in ``app.PAGES``;
each view is decorated with ``access.allowed(...)`` and reads its region through
``access.scoped_region`` (403 outside the account's region, 400 for an unknown one); a nav
entry goes in ``app.NAV``. docs/bureau-web.md describes the pages.
"""
