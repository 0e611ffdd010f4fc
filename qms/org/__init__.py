"""The agency, its units and positions (who is who in the QMS)."""
