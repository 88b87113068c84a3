"""Alert delivery channels: signed webhooks (httpx) and email (SMTP)."""
