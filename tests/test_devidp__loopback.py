"""The development provider signs anyone in as anyone, so it stays on this machine
unless forced."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from civicflow.cli import main
from web.auth.devidp import DevProviderError, check_bind, create_dev_provider
from workflow import Directory


def test_binding_beyond_loopback_is_refused_without_force() -> None:
    with pytest.raises(DevProviderError, match="not loopback"):
        check_bind("0.0.0.0", force=False)
    check_bind("127.0.0.1", force=False)
    check_bind("::1", force=False)
    check_bind("0.0.0.0", force=True)


def test_serve_refuses_a_public_dev_provider_before_listening(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["serve", "--dev-idp-host", "0.0.0.0", "--port", "0"],
        env={"CIVICFLOW_DATA_DIR": str(tmp_path), "CIVICFLOW_IDP_CONFIG": ""},
    )
    assert result.exit_code == 1
    assert "--force-dev-idp" in result.output
    assert not (tmp_path / "civicflow.db").exists()  # nothing was migrated or served


def test_requests_from_other_machines_are_refused_unless_forced() -> None:
    app = create_dev_provider(
        issuer="http://127.0.0.1:1",
        directory=Directory(departments={}, users={}),
        secret_key="k",
        redirect_uris=["http://127.0.0.1:2/auth/callback/dev"],
    )
    remote = {"REMOTE_ADDR": "192.0.2.10"}
    assert app.test_client().get("/jwks", environ_base=remote).status_code == 403
    assert app.test_client().get("/jwks").status_code == 200
