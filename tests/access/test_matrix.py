"""The permission matrix: every named URL x every role x (own, sibling, other provider).

The URL names come from the resolver, the expected statuses from the hand-written table
in ``matrix_data.py``. A URL without a row fails (a new page cannot skip the matrix), and
so does a row whose URL is gone. One test per (URL name, role); it asks every object
position that applies to the URL.

Size: 247 URL names x 9 roles (8 roles + anonymous) = 2223 tests. The 135 object URLs
are asked for up to 3 positions, the 112 others once: at most 4653 requests.
"""

import pytest
from django.urls import reverse

from tests.access.conftest import POSITIONS, as_user
from tests.access.matrix_data import EXPECTED, ROLE_COLUMNS
from tests.access.url_cases import OBJECT_URLS, POST_ONLY, url_for, url_names

pytestmark = pytest.mark.django_db

NAMES = url_names()
NOT_STAFF = ("supplier_user", "service_provider_user", "anonymous")
# Cells the table states as they should be, not yet as they are; strict, so a fix that
# lands turns them into failures until they are taken off this list.
PENDING: dict[tuple[str, str], str] = {}


def _cases():
    for name in sorted(NAMES | EXPECTED.keys()):
        for role in ROLE_COLUMNS:
            reason = PENDING.get((name, role))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(name, role, marks=marks, id=f"{name}-{role}")


def normal(cell: str) -> str:
    """``200/-/200`` and ``200`` say the same: one status for every position that applies."""
    parts = cell.split("/")
    applicable = {part for part in parts if part != "-"}
    return applicable.pop() if len(applicable) == 1 else cell


def test_the_table_has_one_row_per_url_name_and_no_other():
    assert sorted(NAMES - EXPECTED.keys()) == [], "URL names without a row in matrix_data"
    assert sorted(EXPECTED.keys() - NAMES) == [], "rows of matrix_data for URLs that are gone"


def test_size_in_the_docstring_is_current():
    object_positions = len(OBJECT_URLS) * len(POSITIONS) + len(NAMES - OBJECT_URLS)
    stated = (
        f"{len(NAMES)} URL names x {len(ROLE_COLUMNS)} roles",
        f"{len(NAMES) * len(ROLE_COLUMNS)} tests",
        f"at most {object_positions * len(ROLE_COLUMNS)} requests",
        f"{len(OBJECT_URLS)} object URLs",
        f"the {len(NAMES - OBJECT_URLS)} others",
    )
    docstring = " ".join(__doc__.split())
    assert [text for text in stated if text not in docstring] == []


@pytest.mark.parametrize(("name", "role"), list(_cases()))
def test_matrix(name, role, world, client):
    assert name in EXPECTED, f"{name}: no row in tests/access/matrix_data.py, add one"
    assert name in NAMES, f"{name}: no such URL any more, remove its row"
    as_user(client, world, role)
    answers, seen = [], []
    for position in POSITIONS:
        url = url_for(name, world, role, position)
        if url is None:
            answers.append("-")
            continue
        response = client.post(url) if name in POST_ONLY else client.get(url)
        answers.append(str(response.status_code))
        seen.append(f"{position} {url} -> {response.status_code}")
        if response.status_code == 302 and role in NOT_STAFF and name != "set_language":
            # Not staff: sent to sign in (sign-out: to the index, which does), never further.
            # The portal has its own sign-in, and sends there after signing out; its
            # users are signed in there, so their 302 is a done action.
            if name.startswith("portal:"):
                if role != "anonymous" and name != "portal:logout":
                    continue
                target = reverse("portal:login")
            else:
                target = reverse("admin:index" if name == "admin:logout" else "admin:login")
            assert response["Location"].startswith(target), seen[-1]
    assert normal("/".join(answers)) == normal(EXPECTED[name][role]), seen
