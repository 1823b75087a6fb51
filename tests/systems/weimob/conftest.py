"""The shared end-to-end fixtures: the hub store and pages mapped in process."""

from tests.systems.shop_runs import map_in_process, store  # noqa: F401 - fixtures
