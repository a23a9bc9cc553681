"""Signing and sending one webhook: Standard Webhooks headers, Retry-After, the backoff."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import make_settings
from tests.events.receiver import Reply, running_receiver
from untxt.config import parse_retry_schedule
from untxt.db.types import utcnow
from untxt.events.deliverer import retry_delay
from untxt.events.ssrf import parse_allowed_hosts
from untxt.events.webhooks import (
    MAX_RETRY_AFTER_S,
    Answer,
    Sender,
    encode_body,
    new_secret,
    parse_retry_after,
    signed_headers,
)

PAYLOAD = {"type": "job.completed", "timestamp": "2026-11-23T00:00:00Z", "data": {"job_id": "j"}}


def test_signed_headers_verify_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and secret != new_secret()
    body = encode_body(PAYLOAD)
    headers = signed_headers(secret, message_id="msg_1_1", body=body, now=utcnow())
    assert headers["webhook-id"] == "msg_1_1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == PAYLOAD
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"j"', b'"k"'), headers)


def test_parse_retry_after_reads_seconds_and_dates_and_caps_them() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("99999999", now=now) == MAX_RETRY_AFTER_S
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_retry_delays_follow_the_schedule_within_the_jitter_then_stop() -> None:
    schedule = [5.0, 30.0, 120.0]
    failed = Answer(duration_ms=1, status_code=500)
    assert retry_delay(1, failed, schedule, rand=0.0) == pytest.approx(4.0)
    assert retry_delay(1, failed, schedule, rand=1.0) == pytest.approx(6.0)
    assert retry_delay(3, failed, schedule, rand=0.5) == pytest.approx(120.0)
    assert retry_delay(4, failed, schedule) is None


def test_retry_after_replaces_the_schedule_only_for_429_and_5xx() -> None:
    schedule = [5.0, 30.0]
    assert retry_delay(1, Answer(1, 429, retry_after=90.0), schedule) == 90.0
    assert retry_delay(1, Answer(1, 503, retry_after=2.0), schedule) == 2.0
    assert retry_delay(1, Answer(1, 400, retry_after=90.0), schedule, rand=0.5) == 5.0
    assert retry_delay(2, Answer(1, 429, retry_after=90.0), [5.0]) is None


def test_the_sender_connects_to_the_checked_address_with_the_original_host() -> None:
    """The request goes to the resolved address; Host still names the URL's host."""
    sender = Sender(timeout=2, allowed_hosts=parse_allowed_hosts("localhost"))
    try:
        with running_receiver() as receiver:
            receiver.secret = new_secret()
            receiver.script = [Reply(503, {"Retry-After": "12"})]
            url = f"http://localhost:{receiver.port}/hook?x=1"
            body = encode_body(PAYLOAD)
            first = sender.send(
                url, body=body, secret=receiver.secret, message_id="msg_9_9", now=utcnow()
            )
            second = sender.send(
                url, body=body, secret=receiver.secret, message_id="msg_9_9", now=utcnow()
            )
            arrived = receiver.wait_for(2)
    finally:
        sender.close()
    assert (first.status_code, first.retry_after, first.error) == (503, 12.0, None)
    assert (second.status_code, second.retry_after) == (200, None)
    assert all(r.verified and r.payload == PAYLOAD for r in arrived)
    assert arrived[0].headers["host"] == f"localhost:{receiver.port}"
    assert arrived[0].headers["content-type"] == "application/json"
    assert arrived[0].headers["user-agent"].startswith("untxt/")


def test_the_sender_refuses_an_inside_address_and_reports_unreachable_ones() -> None:
    sender = Sender(timeout=1, allowed_hosts=frozenset())
    now = utcnow()
    refused = sender.send(
        "http://127.0.0.1:9/hook", body=b"{}", secret=new_secret(), message_id="m", now=now
    )
    assert refused.status_code is None and refused.error and "refused" in refused.error
    allowed = Sender(timeout=1, allowed_hosts=parse_allowed_hosts("127.0.0.1"))
    down = allowed.send(
        "http://127.0.0.1:9/hook", body=b"{}", secret=new_secret(), message_id="m", now=now
    )
    assert down.status_code is None and down.error and "Connect" in down.error


def test_the_retry_schedule_setting_is_parsed_and_checked(tmp_path: Path) -> None:
    assert parse_retry_schedule("5, 30,120") == [5.0, 30.0, 120.0]
    assert parse_retry_schedule("") == []
    assert make_settings(tmp_path, webhook_retry_schedule="0.1,0.2").webhook_retry_delays == [
        0.1,
        0.2,
    ]
    for bad in ("5,soon", "0,5", "-1", "999999999"):
        with pytest.raises(ValidationError, match="invalid retry delay"):
            make_settings(tmp_path, webhook_retry_schedule=bad)
    assert retry_delay(1, Answer(duration_ms=1, status_code=500), []) is None
