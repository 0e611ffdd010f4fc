"""Electronic signatures: the signer re-enters their password; the signed content's SHA-256 is kept."""
