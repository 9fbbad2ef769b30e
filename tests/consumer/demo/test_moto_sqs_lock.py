"""The embedded SQS emulator's fix: moto's deletes and sends on one queue, from several threads at once (as
its server answers them), lose nothing. Driven on moto's backend directly, with the interpreter switching
threads as often as it can: over HTTP the race shows only now and then, here every time without the fix."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from consumer.demo.local_aws import REGION
from consumer.demo.moto_sqs_lock import serialise_deletes

RECEIVED, SENT_MEANWHILE, DELETERS = 150, 40, 4


@contextmanager
def _eager_thread_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_concurrent_deletes_and_sends_on_a_queue_lose_nothing() -> None:
    serialise_deletes()
    backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    name = f"moto-lock-{uuid.uuid4().hex[:12]}"
    backend.create_queue(name)
    for index in range(RECEIVED):
        backend.send_message(name, f"received-{index}")
    handles = [message.receipt_handle for message in backend.receive_message(name, RECEIVED, 0, 300)]
    assert len(handles) == RECEIVED

    def delete(part: list[str]) -> None:
        for handle in part:
            assert handle is not None
            backend.delete_message(name, handle)

    def send() -> None:
        for index in range(SENT_MEANWHILE):
            backend.send_message(name, f"sent-{index}")

    threads = [threading.Thread(target=delete, args=(handles[k::DELETERS],)) for k in range(DELETERS)]
    threads.append(threading.Thread(target=send))
    with _eager_thread_switches():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    left = sorted(message.body for message in backend.get_queue(name)._messages)
    # Every received message deleted, none come back; every message sent meanwhile still there.
    assert left == sorted(f"sent-{index}" for index in range(SENT_MEANWHILE))
