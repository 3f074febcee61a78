"""Behind a declared reverse proxy: the browser's address and https; without one, no trust.

The lock-out counts failures per (account, client address). Without ``trusted_proxies`` a
forwarded header is anyone's to send, so it must not choose the address a guess is counted at;
with it, the proxy's own address would lump every browser together, so the forwarded one counts.
"""

from __future__ import annotations

import re

import pytest
import requests

from corner.app import create_app
from points.lockout import LOCK_AFTER
from points.logins import open_logins
from tests.admin_support import PASSWORD, login, make_staff
from web.instance import InstanceError, parse_settings

PROXY = {"REMOTE_ADDR": "127.0.0.1"}


def declare_proxy(instance, hops: int = 1) -> None:
    """What the operator does: edit the line ``corner init`` wrote into config.toml."""
    text = instance.config_file.read_text(encoding="utf-8")
    assert "trusted_proxies = 0" in text
    instance.config_file.write_text(
        text.replace("trusted_proxies = 0", f"trusted_proxies = {hops}"), encoding="utf-8"
    )


@pytest.fixture
def app_of(instance, db):
    apps = []

    def make():
        # the folder, not the fixture's Instance: its settings are read again, as at a start
        app = create_app(instance.path, {"TESTING": True, "WTF_CSRF_ENABLED": False})
        apps.append(app)
        return app

    make_staff(db)
    yield make
    for app in apps:
        app.extensions["corner_connections"].close_all()


def test_without_the_setting_a_spoofed_forwarded_address_changes_nothing(app_of, db, clock):
    client = app_of().test_client()
    client.environ_base.update(REMOTE_ADDR="10.0.0.1")
    answers = []
    for n in range(LOCK_AFTER):  # each guess claims another address
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        answers.append(login(client, password="wrong password"))
    assert [answer.status_code for answer in answers] == [401] * (LOCK_AFTER - 1) + [429]
    assert db.execute("SELECT DISTINCT address FROM throttle WHERE address <> '*'").fetchall() == [
        ("10.0.0.1",)
    ]
    # the real admin at another address is not locked out by it
    office = client.application.test_client()
    office.environ_base.update(REMOTE_ADDR="10.0.0.2")
    assert login(office).status_code == 302
    assert [item.address for item in open_logins(db, username="wang")] == ["10.0.0.2"]
    response = office.get("/admin/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200


def test_behind_a_declared_proxy_the_forwarded_address_counts(instance, app_of, db, clock):
    declare_proxy(instance)
    app = app_of()
    guesser = app.test_client()
    guesser.environ_base.update(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    codes = [login(guesser, password="wrong password").status_code for _ in range(LOCK_AFTER)]
    assert codes[-1] == 429
    office = app.test_client()
    office.environ_base.update(PROXY, HTTP_X_FORWARDED_FOR="192.168.1.10")
    assert login(office).status_code == 302
    assert [item.address for item in open_logins(db, username="wang")] == ["192.168.1.10"]


def test_the_session_cookie_is_secure_when_the_proxy_got_https(instance, app_of):
    declare_proxy(instance)
    app = app_of()
    over_https = app.test_client()
    https = {"X-Forwarded-For": "192.168.1.10", "X-Forwarded-Proto": "https"}
    answer = over_https.post(
        "/admin/login",
        data={"username": "wang", "password": PASSWORD},
        headers=https,
        environ_base=PROXY,
    )
    assert answer.status_code == 302 and answer.location.startswith(("/", "https://"))
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    plain = app.test_client()
    answer = plain.post(
        "/admin/login",
        data={"username": "wang", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.168.1.11", "X-Forwarded-Proto": "http"},
        environ_base=PROXY,
    )
    assert answer.status_code == 302 and "Secure" not in answer.headers["Set-Cookie"]


def test_without_the_setting_a_forwarded_https_makes_no_secure_cookie(app_of):
    answer = (
        app_of()
        .test_client()
        .post(
            "/admin/login",
            data={"username": "wang", "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
        )
    )
    assert answer.status_code == 302 and "Secure" not in answer.headers["Set-Cookie"]


@pytest.mark.parametrize("value", [-1, 4, "1", True])
def test_a_bad_proxy_setting_is_refused_by_name(value):
    with pytest.raises(InstanceError, match="trusted_proxies"):
        parse_settings({"trusted_proxies": value})


def test_the_real_server_behind_a_declared_proxy(instance, db, serve):
    make_staff(db)
    declare_proxy(instance)
    server = serve()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.168.1.10"}
    form = requests.get(server.url + "/admin/login", headers=https)
    assert "Secure" in form.headers["Set-Cookie"]
    # the proxy speaks http to the server; the browser sent its Secure cookie over https
    cookie = form.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
    answer = requests.post(
        server.url + "/admin/login",
        data={"username": "wang", "password": PASSWORD, "csrf_token": token},
        headers={
            **https,
            "Cookie": cookie,
            "Referer": server.url.replace("http://", "https://") + "/admin/login",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[-600:]
    assert "Secure" in answer.headers["Set-Cookie"]
    assert [item.address for item in open_logins(db, username="wang")] == ["192.168.1.10"]


@pytest.mark.parametrize(
    ("hops", "option", "share"),
    [
        (0, [], 32),
        (1, [], 0),
        (1, ["--connections-per-client", "8"], 8),
        (0, ["--connections-per-client", "0"], 0),
    ],
)
def test_behind_a_declared_proxy_serve_shares_no_connections_per_address(
    instance, monkeypatch, hops, option, share
):
    """Every browser comes from the proxy's address: a share per address would be theirs all."""
    from click.testing import CliRunner

    import corner.cli as cli_module

    if hops:
        declare_proxy(instance, hops)
    served = []
    monkeypatch.setattr(
        cli_module, "_serve", lambda inst, host, port, threads, guards: served.append(guards)
    )
    result = CliRunner().invoke(
        cli_module.cli, ["--instance", str(instance.path), "serve", *option]
    )
    assert result.exit_code == 0, result.output
    assert [guards.per_client for guards in served] == [share]
