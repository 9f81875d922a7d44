"""``python -m oura_addon``: the add-on's process (see README.md, "Runtime interface")."""

from oura_addon.app import main

if __name__ == "__main__":
    main()
