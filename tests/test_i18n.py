"""Language and time zone: Chinese by default, English on request, Beijing time."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_admin_login_is_chinese_by_default(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    content = response.content.decode()
    assert "用户名" in content
    assert "Username" not in content


def test_set_language_switches_the_admin_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login/"

    content = client.get("/admin/login/").content.decode()
    assert "Username" in content
    assert "用户名" not in content
    assert "Gift management platform" in content

    client.post("/i18n/setlang/", {"language": "zh-hans"})
    assert "用户名" in client.get("/admin/login/").content.decode()


def test_login_page_offers_a_language_switch(client):
    content = client.get("/admin/login/").content.decode()

    assert 'action="/i18n/setlang/"' in content
    assert 'name="next" type="hidden" value="/admin/login/"' in content
    for code, _name in settings.LANGUAGES:
        assert f'<option value="{code}"' in content


def test_signed_in_admin_pages_keep_the_default_links_and_add_the_switch(client, superuser):
    client.force_login(superuser)

    content = client.get("/admin/").content.decode()

    assert 'id="logout-form"' in content
    assert "/admin/password_change/" in content
    assert 'action="/i18n/setlang/"' in content
    assert 'name="next" type="hidden" value="/admin/"' in content


def test_time_zone_and_default_language():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "用户名" in response.content.decode()
