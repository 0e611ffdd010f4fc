"""The agency's working calendar: working days, office-hour sessions and the working clock (DOMAIN.md 4)."""
