"""An ERPNext site as the sandbox simulates it (Frappe's REST API): :mod:`.system`."""
