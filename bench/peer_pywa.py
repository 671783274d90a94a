"""The Python peer of `make bench`: pywa on FastAPI, served by uvicorn (one worker).

It receives the same signed WhatsApp webhooks as the host and does nothing with them: pywa
checks `X-Hub-Signature-256` against the app secret (`validate_updates=True`), answers 200,
then parses the update into its `Message` type and calls the handler below, which only counts
it. The count (`GET /bench/handled`) tells the bench that every accepted body really reached
the handler: pywa answers first and parses afterwards, in a FastAPI background task.

pywa's asyncio client (`pywa_async`, same package): everything runs on the event loop, where
the default client hands each update to a thread pool (measured here: about twice the CPU per
request, 860 against 440 µs, under the same load).

    PEER_APP_SECRET=… PEER_VERIFY_TOKEN=… python -m uvicorn peer_pywa:app --app-dir bench

Webhook route: `GET`/`POST /webhook` (pywa's handshake and updates).
"""

import os

import fastapi
from pywa_async import WhatsApp, types

app = fastapi.FastAPI()

wa = WhatsApp(
    server=app,
    webhook_endpoint="/webhook",
    verify_token=os.environ["PEER_VERIFY_TOKEN"],
    app_secret=os.environ["PEER_APP_SECRET"],
    validate_updates=True,
)

_handled = 0


@wa.on_message()
async def on_message(_: WhatsApp, message: types.Message) -> None:
    """Does nothing with the message; counts it (one event loop: no lock needed)."""
    global _handled
    _handled += 1


@app.get("/bench/handled")
async def handled() -> dict[str, int]:
    """How many messages reached the handler so far."""
    return {"handled": _handled}
