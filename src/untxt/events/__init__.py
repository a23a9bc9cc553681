"""Job events: the payloads, webhook subscriptions, signing and delivery."""
