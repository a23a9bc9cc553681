"""Job events after the outbox: webhooks, event streams and waiting for a job.

The queue writes each event in its state change's transaction
(:mod:`untxt.queue.outbox`); what follows is here.

- :mod:`untxt.events.subscriptions`: webhook subscriptions and each owner's secret
- :mod:`untxt.events.deliveries`: the SQL of webhook deliveries and their attempts
- :mod:`untxt.events.deliverer`: the loop that sends due deliveries
- :mod:`untxt.events.webhooks`: sending one webhook, signed (Standard Webhooks)
- :mod:`untxt.events.ssrf`: where a webhook URL may point
- :mod:`untxt.events.reads`: the outbox reads of event streams
- :mod:`untxt.events.fanout`: one watcher per API process that wakes its subscribers
- :mod:`untxt.events.stream`: one client's events, from its position on (SSE, WebSocket)
- :mod:`untxt.events.waiting`: waiting for one job to finish
"""
