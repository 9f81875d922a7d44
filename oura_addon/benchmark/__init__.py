"""Performance figures and replays, printed, never asserted; not shipped in the image."""
