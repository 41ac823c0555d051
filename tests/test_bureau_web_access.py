"""The bureaus' pages: sign-in, sessions, roles and region scopes, in a real browser."""

from __future__ import annotations

import re

from tests.bureau_web import sign_in
from tests.node_web import shot


def test_a_county_account_is_refused_another_county_and_sees_nothing_of_it(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("新城区查看", "viewer", region="610102")
    sign_in(bureau_page, pages, "新城区查看", path="/completeness?period=2025-H1&region=610102")
    assert re.search(r"/completeness", bureau_page.url)
    assert "610102" in bureau_page.content()
    response = bureau_page.goto(pages.url + "/completeness?period=2025-H1&region=610103")
    assert response.status == 403
    body = bureau_page.content()
    assert "无权访问" in body and "Forbidden" in body
    assert "碑林" not in body and "2161010011" not in body
    shot(bureau_page, "bureau-forbidden")
