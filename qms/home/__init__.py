"""The home page (what waits for each user), the health check and the language switcher."""
