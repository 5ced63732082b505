"""``datasmart serve`` as ``make run`` starts it: set-up, gunicorn, a valid import.

The set-up used to run in the gunicorn master before the fork; polars' thread pool does not
survive ``fork``, so the first valid ``POST /api/indicator-imports`` hung its worker in
``write_csv``. This starts the real command on a fresh SQLite database (so the set-up really
loads data with polars) and imports a file through the API with a timeout: a hang fails.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.browser_support import CLI, REPO, running_platform

pytestmark = pytest.mark.slow

IMPORT_CSV = (
    "indicator,unit_code,period,sex,age_group,numerator,denominator,value,status\n"
    "kolada-n00943,0114,2023,T,,,,42.5,\n"
    "kolada-n00943,0115,2023,T,,,,17.25,\n"
)


def _multipart(field: str, name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _post_import(url: str, secret: str, content: bytes) -> tuple[int, dict[str, object]]:
    body, content_type = _multipart("file", "serve-test.csv", content)
    request = urllib.request.Request(  # noqa: S310 - our own local server
        url + "/api/indicator-imports",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": content_type},
    )
    # A worker that hangs (the defect) makes this raise TimeoutError and fail the test.
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_served_platform_imports_through_the_api(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    with running_platform(
        tmp_path,
        [],
        env=env,
        server=lambda port: [*CLI, "serve", "--port", str(port), "--workers", "1"],
        # The full set-up of `make run` (about a minute on an idle machine; far longer on
        # a loaded one) happens before the server answers.
        ready_timeout=1200,
    ) as url:
        db_env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DATASMART_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            **env,
        }
        made = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
            [*CLI, "tokens", "create", "--user", "admin", "--scope", "write"],
            env=db_env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        secret = made.stdout.strip().splitlines()[-1]
        status, body = _post_import(url, secret, IMPORT_CSV.encode())
        assert status == 201, body
        assert body["created"] is True
        # The same worker serves the next request too (it is not stuck holding locks).
        status, body = _post_import(url, secret, IMPORT_CSV.encode())
        assert status == 200 and body["created"] is False
        # No control socket at the per-user default path, which every server on the
        # machine would share: none unless `serve --control-socket PATH` asks for one.
        assert not (home / "gunicorn.ctl").exists()
        assert not (home / ".gunicorn").exists()
    log = (tmp_path / "server.log").read_text()
    assert "Booting worker" in log and "Control socket" not in log
