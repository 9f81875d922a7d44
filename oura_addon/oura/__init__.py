"""Talking to Oura's cloud: OAuth, the API v2 data endpoints, and typed records."""
