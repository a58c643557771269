"""Email tests: the digest, the MIME message, the chart and sending over SMTP."""
