"""In-app notifications (and e-mail through SMTP when configured)."""
