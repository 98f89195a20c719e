"""The dashboard's themes, one `*.tcss` file each; installed as `agentstatus_tui.themes`."""
