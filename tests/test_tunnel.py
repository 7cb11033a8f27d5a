"""`ferryman tunnel`: the exact ssh line for every scenario, and one clear line + exit 2 on bad input.

Through the real CLI (a subprocess); `compiler.tunnel` is checked directly only where the runtime
uses it (the same line for the same [bridge])."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from ferryman.compiler.tunnel import tunnel_command

from .conftest import ferryman

HEAD = "ssh -N -o ExitOnForwardFailure=yes"
URL = "http://node7.cluster.example.org:8888/lab?token=0123456789abcdef"
ENV = {"USER": "kemal"}


def tunnel(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return ferryman("tunnel", *args, env=env or ENV, **({"cwd": cwd} if cwd else {}))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["user@server"], f"{HEAD} -R 127.0.0.1:1080 user@server"),
        (["server"], f"{HEAD} -R 127.0.0.1:1080 kemal@server"),
        # the jump host's user is not reused for the target: the target's user comes from $USER
        (["--jump", "user@login", "compute123"], f"{HEAD} -J user@login -R 127.0.0.1:1080 kemal@compute123"),
        (["--jump", "login:2222", "bob@compute123"], f"{HEAD} -J login:2222 -R 127.0.0.1:1080 bob@compute123"),
        ([URL], f"{HEAD} -R 127.0.0.1:1080 kemal@node7.cluster.example.org"),
        (["--jump", "user@login", URL], f"{HEAD} -J user@login -R 127.0.0.1:1080 kemal@node7.cluster.example.org"),
        (
            ["--with-jupyter", URL],
            f"{HEAD} -L 8888:127.0.0.1:8888 -R 127.0.0.1:1080 kemal@node7.cluster.example.org",
        ),
        (
            ["--with-jupyter", "--jupyter-remote-port", "9999", URL],
            f"{HEAD} -L 9999:127.0.0.1:9999 -R 127.0.0.1:1080 kemal@node7.cluster.example.org",
        ),
        (
            ["--with-jupyter", "--jupyter-local-port", "18888", "--jump", "u@login", URL],
            f"{HEAD} -J u@login -L 18888:127.0.0.1:8888 -R 127.0.0.1:1080 kemal@node7.cluster.example.org",
        ),
        (
            ["--with-jupyter", "--jupyter-remote-port", "8890", "--jupyter-local-port", "10121", "me@node7"],
            f"{HEAD} -L 10121:127.0.0.1:8890 -R 127.0.0.1:1080 me@node7",
        ),
        (["--socks-port", "9050", "user@server"], f"{HEAD} -R 127.0.0.1:9050 user@server"),
        (["--user", "anna", "server"], f"{HEAD} -R 127.0.0.1:1080 anna@server"),
        (["first.last@10.0.0.5"], f"{HEAD} -R 127.0.0.1:1080 first.last@10.0.0.5"),
    ],
)
def test_exact_lines(args: list[str], line: str) -> None:
    r = tunnel(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout == line + "\n"
    assert r.stderr == ""


def test_target_user_wins_over_user_with_a_warning() -> None:
    r = tunnel("--user", "bob", "alice@server")
    assert r.returncode == 0
    assert r.stdout == f"{HEAD} -R 127.0.0.1:1080 alice@server\n"
    assert r.stderr == "ferryman: warning: --user bob is ignored: the target names user alice\n"


def test_the_token_never_reaches_the_output() -> None:
    r = tunnel("--with-jupyter", URL)
    assert "0123456789abcdef" not in r.stdout + r.stderr
    bad = tunnel("http://localhost:8888/lab?token=0123456789abcdef")
    assert bad.returncode == 2 and "0123456789abcdef" not in bad.stdout + bad.stderr


def test_each_word_is_shell_quoted() -> None:
    cmd = tunnel_command("user@server", socks_port=1080)
    assert shlex.split(cmd.line) == list(cmd.argv)
    assert cmd.argv[-2:] == ("127.0.0.1:1080", "user@server")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["http://node7:8888/lab?token="], ENV, "Jupyter URL: has no ?token=… (copy the full URL Jupyter printed)"),
        (["http://node7:8888/lab"], ENV, "Jupyter URL: has no ?token=… (copy the full URL Jupyter printed)"),
        (["http://node7/lab?token=abc"], ENV, "Jupyter URL: has no port (expected http://HOST:PORT/…?token=…)"),
        (["http://node7:0/lab?token=abc"], ENV, "Jupyter URL: the port must be a number from 1 to 65535"),
        (["http://node7:70000/lab?token=abc"], ENV, "Jupyter URL: the port must be a number from 1 to 65535"),
        (["ftp://node7:21/?token=abc"], ENV, "Jupyter URL: the scheme must be http or https, not 'ftp'"),
        (
            ["http://u:pw@node7:8888/?token=abc"],
            ENV,
            "Jupyter URL: must not carry a user or password before the host (give --user)",
        ),
        (["--socks-port", "0", "user@server"], ENV, "--socks-port must be from 1 to 65535, not 0"),
        (["--socks-port", "70000", "user@server"], ENV, "--socks-port must be from 1 to 65535, not 70000"),
        ([""], ENV, "the target is empty: give USER@HOST, HOST or a Jupyter URL"),
        (["  "], ENV, "the target is empty: give USER@HOST, HOST or a Jupyter URL"),
        (["user@"], ENV, "target: 'user@' has no host after '@'"),
        (["@server"], ENV, "target: the user name before '@' is empty"),
        (
            ["user@ser ver"],
            ENV,
            "target: 'ser ver' is not a host name (letters, digits, '.', '-'; not starting with '-')",
        ),
        (
            ["--", "-oProxyCommand=sh"],
            ENV,
            "target: '-oProxyCommand=sh' is not a host name (letters, digits, '.', '-'; not starting with '-')",
        ),
        (
            ["user@server\nrm -rf ~"],
            ENV,
            "target: 'server\\nrm -rf ~' is not a host name (letters, digits, '.', '-'; not starting with '-')",
        ),
        (
            ["user@server;reboot"],
            ENV,
            "target: 'server;reboot' is not a host name (letters, digits, '.', '-'; not starting with '-')",
        ),
        (
            ["$(id)@server"],
            ENV,
            "target: '$(id)' is not a user name (letters, digits, '.', '_', '-'; not starting with '-')",
        ),
        (
            ["--jump=-oProxyCommand=x", "server"],
            ENV,
            "--jump: '-oProxyCommand=x' is not a host name (letters, digits, '.', '-'; not starting with '-')",
        ),
        (["--jump", "u@", "server"], ENV, "--jump: 'u@' has no host"),
        (["--jump", "login:ssh", "server"], ENV, "--jump: 'login:ssh' has a port that is not a number"),
        (
            ["--user", "a b", "server"],
            ENV,
            "--user: 'a b' is not a user name (letters, digits, '.', '_', '-'; not starting with '-')",
        ),
        (
            ["server"],
            {"USER": "x`id`"},
            "$USER: 'x`id`' is not a user name (letters, digits, '.', '_', '-'; not starting with '-')",
        ),
        (
            ["--with-jupyter", "user@server"],
            ENV,
            "--with-jupyter needs --jupyter-remote-port when the target is not a Jupyter URL",
        ),
        (
            ["--jupyter-local-port", "9000", URL],
            ENV,
            "--jupyter-remote-port and --jupyter-local-port need --with-jupyter",
        ),
        (
            ["--with-jupyter", "--jupyter-local-port", "0", URL],
            ENV,
            "--jupyter-local-port must be from 1 to 65535, not 0",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], env: dict[str, str], message: str) -> None:
    r = tunnel(*args, env=env)
    assert r.returncode == 2, r.stdout
    assert r.stdout == ""
    assert r.stderr == f"ferryman: error: {message}\n"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "0.0.0.0", "[::1]", "127.0.1.1", "LOCALHOST"])
def test_a_loopback_jupyter_url_is_refused(host: str) -> None:
    r = tunnel(f"http://{host}:8888/lab?token=abc")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "only means 'this machine'" in r.stderr


def test_no_target_uses_the_workspace_bridge(tmp_path: Path) -> None:
    (tmp_path / "ferryman.toml").write_text(
        '[workspace]\nname = "w"\n\n[bridge]\nsocks_port = 1090\njump = "user@login"\n'
        'target = "compute123"\nwait_s = 3\n'
    )
    r = tunnel(cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"{HEAD} -J user@login -R 127.0.0.1:1090 kemal@compute123\n"
    # options given on the command line override the table
    r = tunnel("--socks-port", "2000", cwd=tmp_path)
    assert r.stdout == f"{HEAD} -J user@login -R 127.0.0.1:2000 kemal@compute123\n"
    # the runtime builds the same line from the same [bridge] (bridge:check prints it)
    assert tunnel_command("compute123", jump="user@login", socks_port=1090, environ=ENV).line == (
        f"{HEAD} -J user@login -R 127.0.0.1:1090 kemal@compute123"
    )


def test_no_target_and_no_bridge_is_a_usage_error(tmp_path: Path) -> None:
    r = tunnel(cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        2, "ferryman: error: no TARGET given and the workspace manifest ferryman.toml does not exist\n"
    )
    (tmp_path / "ferryman.toml").write_text('[workspace]\nname = "w"\n')
    r = tunnel(cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, "ferryman: error: no TARGET given and ferryman.toml has no [bridge] table\n")
    (tmp_path / "ferryman.toml").write_text('[bridge]\nsocks_port = 1090\n')
    r = tunnel(cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        2, "ferryman: error: no TARGET given and [bridge] of ferryman.toml names no target\n"
    )
    (tmp_path / "ferryman.toml").write_text('[bridge]\nsocks_port = "x"\ntarget = "a@b"\n')
    r = tunnel(cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        2, "ferryman: error: --socks-port must be a whole number from 1 to 65535, not 'x'\n"
    )
    (tmp_path / "ferryman.toml").write_text('[bridge\n')
    r = tunnel(cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("ferryman: error: cannot read ferryman.toml: ")
    assert r.stderr.count("\n") == 1


def test_without_user_or_logname_the_login_name_is_used() -> None:
    import pwd

    me = pwd.getpwuid(os.getuid()).pw_name
    proc = ferryman("tunnel", "server", env={"USER": "", "LOGNAME": ""})
    assert (proc.returncode, proc.stdout) == (0, f"ssh -N -o ExitOnForwardFailure=yes -R 127.0.0.1:1080 {me}@server\n")
    proc = ferryman("tunnel", "server", env={"USER": "", "LOGNAME": "logan"})
    assert proc.stdout == "ssh -N -o ExitOnForwardFailure=yes -R 127.0.0.1:1080 logan@server\n"
