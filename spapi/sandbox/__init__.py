"""An offline HTTP imitation of Amazon's Selling Partner API and Login with Amazon, built from the models.

Used by the test suite and served by the offline demo::

    state = SandboxState(clients={"client-id": "secret"}, sellers={"refresh-token": "A1SELLERID"})
    with SandboxServer(state) as server:
        ...  # point a client at server.url and server.lwa_url; inspect state.calls, state.requests
"""

from spapi.sandbox.documents import gzip_stream
from spapi.sandbox.responders import SandboxRequest, SandboxResponse
from spapi.sandbox.server import SandboxServer
from spapi.sandbox.state import LWA, RecordedRequest, SandboxState

__all__ = [
    "LWA",
    "RecordedRequest",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "SandboxState",
    "gzip_stream",
]
