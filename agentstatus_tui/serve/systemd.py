"""The systemd unit `agentstatus serve --systemd-unit` prints (the README shows it too)."""

from __future__ import annotations

import shutil
import sys

UNIT = """\
# /etc/systemd/system/agentstatus.service
# Install:  sudo systemctl edit --force --full agentstatus.service   (paste this)
#           sudo systemctl enable --now agentstatus
# Tokens (the config's api: tokens: ${{VAR}} values) go in /etc/agentstatus/env, mode 0600.
# TCP on 127.0.0.1:8747 for the seed's curl and Prometheus: configure a token (without
# one, anyone on this machine may use that port).
[Unit]
Description=agentstatus: monitor the AI agents, alert, serve the API
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=agentstatus
Group=oncall
{warning}ExecStart={exe} serve --config /etc/agentstatus/agents.yaml --data-dir /var/lib/agentstatus --socket /run/agentstatus/api.sock --listen 127.0.0.1:8747
ExecReload=/bin/kill -HUP $MAINPID
EnvironmentFile=-/etc/agentstatus/env
Environment=XDG_RUNTIME_DIR=/run
# The unix socket: /run/agentstatus/api.sock, mode 0660, group oncall.
RuntimeDirectory=agentstatus
RuntimeDirectoryMode=0750
StateDirectory=agentstatus
UMask=0007
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""


HIDDEN = ("/home/", "/root/", "/run/user/")  # ProtectHome=yes hides these from the service


def unit_text(exe: str | None = None) -> str:
    exe = exe or shutil.which("agentstatus") or f"{sys.executable} -m agentstatus_tui"
    warning = ""
    if exe.startswith(HIDDEN):
        warning = ("# NOTE: this agentstatus is installed under a home directory, which\n"
                   "# ProtectHome=yes hides from the service: install it elsewhere (e.g.\n"
                   "# /opt/agentstatus, see the README) and fix ExecStart.\n")
    return UNIT.format(exe=exe, warning=warning)
