"""What operators see: Prometheus metrics and /health, the HTTP server, JSON logs."""
