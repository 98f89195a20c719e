"""The systemd unit `agentstatus serve --systemd-unit` prints (the README shows it too)."""

from __future__ import annotations

import shutil
import sys

UNIT = """\
# /etc/systemd/system/agentstatus.service
# Install:  sudo systemctl edit --force --full agentstatus.service   (paste this)
#           sudo systemctl enable --now agentstatus
# Tokens (the config's api: tokens: ${{VAR}} values) go in /etc/agentstatus/env, mode 0600.
[Unit]
Description=agentstatus: monitor the AI agents, alert, serve the API
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=agentstatus
Group=oncall
ExecStart={exe} serve --config /etc/agentstatus/agents.yaml --data-dir /var/lib/agentstatus
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


def unit_text() -> str:
    exe = shutil.which("agentstatus") or f"{sys.executable} -m agentstatus_tui"
    return UNIT.format(exe=exe)
