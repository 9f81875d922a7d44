"""``python -m oura_addon.benchmark``: see ``oura_addon.benchmark.cli``."""

from oura_addon.benchmark.cli import main

main()
