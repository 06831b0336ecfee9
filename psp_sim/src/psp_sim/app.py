"""The simulator's HTTP surface: Stripe's API under ``/v1``, the hosted page under ``/pay`` and, when
test controls are on, the switches under ``/_sim``.

Routes translate only: HTTP in, a call on :class:`~psp_sim.account.Account` or
:class:`~psp_sim.webhooks.Outbox`, HTTP out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from psp_sim import forms, pages
from psp_sim.account import Account, PaymentOutcome, RequestInfo, new_id
from psp_sim.cards import Behaviour, CardRejected, check_entry, parse_expiry
from psp_sim.config import Settings
from psp_sim.errors import StripeError
from psp_sim.idempotency import IdempotencyKeys
from psp_sim.webhooks import Outbox

log = logging.getLogger("psp_sim")
Json = dict[str, Any]
EXPIRY_SWEEP_SECONDS = 1.0


@dataclass
class Simulator:
    """Everything one simulator process holds, wired once."""

    settings: Settings
    clock: Callable[[], float] = time.time
    # How far the test controls moved the account's clock ahead (POST /_sim/clock); webhook
    # signatures keep real time, as a receiver checks them against its own clock.
    clock_offset: float = 0.0
    account: Account = field(init=False)
    outbox: Outbox = field(init=False)
    idempotency: IdempotencyKeys = field(init=False)
    _timers: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        s = self.settings
        self.outbox = Outbox(
            default_url=s.webhook_url,
            default_secret=s.webhook_secret,
            retry_base_seconds=s.webhook_retry_base_seconds,
            retry_max_seconds=s.webhook_retry_max_seconds,
            max_attempts=s.webhook_max_attempts,
            timeout_seconds=s.webhook_timeout_seconds,
            clock=self.clock,
        )
        self.account = Account(
            base_url=s.base_url, api_version=s.api_version, clock=self.now, publish=self.outbox.publish
        )
        self.idempotency = IdempotencyKeys(ttl_seconds=s.idempotency_ttl_seconds, clock=self.now)

    def now(self) -> float:
        return self.clock() + self.clock_offset

    def later(self, delay: float, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await work()

        task = asyncio.get_running_loop().create_task(run())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def cancel_timers(self) -> None:
        tasks = list(self._timers)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def reset(self) -> None:
        await self.cancel_timers()
        await self.outbox.reset()
        async with self.account.lock:
            self.account.reset()
        self.idempotency.reset()
        self.clock_offset = 0.0

    async def pay(self, session_id: str, entry: Any) -> PaymentOutcome:
        async with self.account.lock:
            outcome = self.account.pay(session_id, entry)
        log.info(
            "card payment",
            extra={
                "session_id": session_id,
                "payment_intent": outcome.payment_intent.id,
                "outcome": outcome.behaviour.value,
                "brand": entry.brand,
                "last4": entry.last4,
            },
        )
        if outcome.behaviour is Behaviour.DELAYED:
            intent_id = outcome.payment_intent.id

            async def settle() -> None:
                async with self.account.lock:
                    self.account.settle_delayed(intent_id)

            self.later(self.settings.delayed_seconds, settle)
        return outcome

    async def sweep_expired(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
            async with self.account.lock:
                self.account.expire_due()


# ---------------------------------------------------------------------------------------------- Stripe API


def _redact(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


def _authenticate(request: Request, settings: Settings) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        import base64
        import binascii

        with contextlib.suppress(ValueError, binascii.Error):
            key = base64.b64decode(credentials).decode().split(":", 1)[0]
    if not key:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if not hmac.compare_digest(key.encode(), settings.secret_key.encode()):
        raise StripeError(401, f"Invalid API Key provided: {_redact(key)}", code="api_key_invalid")
    return key


def _expand(params: Json) -> frozenset[str]:
    raw = params.get("expand") or []
    if isinstance(raw, str):
        raw = [raw]
    return frozenset(str(item) for item in raw) if isinstance(raw, list) else frozenset()


ApiHandler = Callable[[Json, RequestInfo, Request], Json]


def api_get(sim: Simulator, handler: ApiHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        _authenticate(request, sim.settings)
        params = forms.decode(parse_qsl(request.url.query, keep_blank_values=True))
        request_info = RequestInfo(new_id("req_", 14))
        async with sim.account.lock:
            body = handler(params, request_info, request)
        return _stripe_json(body, request_info)

    return endpoint


def api_post(sim: Simulator, handler: ApiHandler) -> Callable[[Request], Awaitable[Response]]:
    """A POST honouring ``Idempotency-Key`` the way Stripe does."""

    async def endpoint(request: Request) -> Response:
        api_key = _authenticate(request, sim.settings)
        raw = (await request.body()).decode("utf-8", errors="replace")
        params = forms.decode(parse_qsl(raw, keep_blank_values=True))
        key = request.headers.get("idempotency-key")
        request_info = RequestInfo(new_id("req_", 14), key)
        if not key:
            async with sim.account.lock:
                return _stripe_json(handler(params, request_info, request), request_info)
        if len(key) > 255:
            raise StripeError(
                400, "Idempotency-Key must be at most 255 characters long.", param="idempotency_key"
            )
        endpoint_name = f"{request.method} {request.url.path}"
        fingerprint = forms.fingerprint(params)
        async with sim.idempotency.lock(api_key, key):
            saved = sim.idempotency.replay(api_key, key, endpoint_name, fingerprint)
            if saved is not None:
                return JSONResponse(
                    saved.body,
                    saved.status,
                    headers={
                        "Idempotent-Replayed": "true",
                        "Idempotency-Key": key,
                        "Request-Id": request_info.id or "",
                    },
                )
            async with sim.account.lock:
                body = handler(params, request_info, request)
            sim.idempotency.save(api_key, key, endpoint_name, fingerprint, 200, body)
        return _stripe_json(body, request_info)

    return endpoint


def _stripe_json(body: Json, request_info: RequestInfo) -> JSONResponse:
    headers = {"Request-Id": request_info.id or ""}
    if request_info.idempotency_key:
        headers["Idempotency-Key"] = request_info.idempotency_key
    return JSONResponse(body, headers=headers)


def api_routes(sim: Simulator) -> list[Route]:
    account = sim.account

    def create_session(params: Json, info: RequestInfo, request: Request) -> Json:
        session = account.create_session(params, info)
        log.info(
            "checkout session created",
            extra={"session_id": session.id, "amount": session.amount_total, "currency": session.currency},
        )
        return account.session_json(session, _expand(params))

    def get_session(params: Json, info: RequestInfo, request: Request) -> Json:
        return account.session_json(account.session(request.path_params["id"]), _expand(params))

    def expire_session(params: Json, info: RequestInfo, request: Request) -> Json:
        return account.session_json(account.expire_session(request.path_params["id"], info), _expand(params))

    def session_line_items(params: Json, info: RequestInfo, request: Request) -> Json:
        session = account.session(request.path_params["id"])
        body = account.session_json(session, frozenset({"line_items"}))
        line_items: Json = body["line_items"]
        return line_items

    def get_intent(params: Json, info: RequestInfo, request: Request) -> Json:
        return account.intent_json(account.payment_intent(request.path_params["id"]), _expand(params))

    def get_charge(params: Json, info: RequestInfo, request: Request) -> Json:
        return account.charge_json(account.charge(request.path_params["id"]))

    def create_refund(params: Json, info: RequestInfo, request: Request) -> Json:
        refund = account.create_refund(params, info)
        log.info(
            "refund created",
            extra={"refund_id": refund.id, "payment_intent": refund.payment_intent, "amount": refund.amount},
        )
        return account.refund_json(refund)

    def get_refund(params: Json, info: RequestInfo, request: Request) -> Json:
        return account.refund_json(account.refund(request.path_params["id"]))

    def get_event(params: Json, info: RequestInfo, request: Request) -> Json:
        event = account.event(request.path_params["id"])
        return event.to_json(pending_webhooks=sim.outbox.pending_count(event.id))

    return [
        Route("/v1/checkout/sessions", api_post(sim, create_session), methods=["POST"]),
        Route("/v1/checkout/sessions/{id}", api_get(sim, get_session), methods=["GET"]),
        Route("/v1/checkout/sessions/{id}/expire", api_post(sim, expire_session), methods=["POST"]),
        Route("/v1/checkout/sessions/{id}/line_items", api_get(sim, session_line_items), methods=["GET"]),
        Route("/v1/payment_intents/{id}", api_get(sim, get_intent), methods=["GET"]),
        Route("/v1/charges/{id}", api_get(sim, get_charge), methods=["GET"]),
        Route("/v1/refunds", api_post(sim, create_refund), methods=["POST"]),
        Route("/v1/refunds/{id}", api_get(sim, get_refund), methods=["GET"]),
        Route("/v1/events/{id}", api_get(sim, get_event), methods=["GET"]),
    ]


# ---------------------------------------------------------------------------------------- hosted page


def page_routes(sim: Simulator) -> list[Route]:
    account = sim.account

    async def show(request: Request) -> Response:
        session_id = request.path_params["id"]
        async with account.lock:
            session = account.sessions.get(session_id)
            if session is None:
                return HTMLResponse(pages.not_found(session_id), 404)
            account.session(session_id)  # expires it if its time has come
        if session.status != "open":
            return HTMLResponse(pages.closed(session), 410 if session.status == "expired" else 200)
        return HTMLResponse(pages.payment_form(session))

    async def submit(request: Request) -> Response:
        session_id = request.path_params["id"]
        form = await request.form()
        async with account.lock:
            session = account.sessions.get(session_id)
            if session is None:
                return HTMLResponse(pages.not_found(session_id), 404)
            account.session(session_id)
        if session.status != "open":
            return HTMLResponse(pages.closed(session), 409)
        name = str(form.get("name", ""))
        try:
            month, year = parse_expiry(str(form.get("expiry", "")))
            entry = check_entry(
                str(form.get("card_number", "")),
                month,
                year,
                str(form.get("cvc", "")).strip(),
                name,
                today=datetime.datetime.fromtimestamp(sim.now(), datetime.UTC).date(),
            )
        except CardRejected as rejected:
            field_id = {"number": "card_number", "cvc": "cvc"}.get(rejected.param, "expiry")
            return HTMLResponse(
                pages.payment_form(session, error=rejected.message, invalid_field=field_id, name=name), 400
            )
        try:
            outcome = await sim.pay(session_id, entry)
        except StripeError:
            return HTMLResponse(pages.closed(session), 409)
        if outcome.error is not None:
            return HTMLResponse(
                pages.payment_form(
                    session, error=str(outcome.error["message"]), invalid_field="card_number", name=name
                ),
                402,
            )
        target = pages.success_url(outcome.session) or f"/pay/{session_id}"
        return RedirectResponse(target, status_code=303)

    return [
        Route("/pay/{id}", show, methods=["GET"]),
        Route("/pay/{id}", submit, methods=["POST"]),
    ]


# ------------------------------------------------------------------------------------------ test controls

_SWITCH_TYPES: dict[str, tuple[type, ...]] = {
    "duplicate": (int,),
    "drop": (int,),
    "delay_seconds": (int, float),
    "reorder": (bool,),
    "url": (str, type(None)),
    "secret": (str, type(None)),
}


async def _json_body(request: Request) -> Json:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise StripeError(400, f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise StripeError(400, "The body must be a JSON object.")
    return body


def webhook_control_routes(sim: Simulator) -> list[Route]:
    account, outbox = sim.account, sim.outbox

    async def webhooks(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(outbox.switches.to_json())
        changes = await _json_body(request)
        for name, value in changes.items():
            allowed = _SWITCH_TYPES.get(name)
            if allowed is None:
                raise StripeError(400, f"Unknown switch: {name}", param=name)
            numeric_bool = isinstance(value, bool) and bool not in allowed
            if not isinstance(value, allowed) or numeric_bool:
                raise StripeError(400, f"Invalid value for {name}: {value!r}", param=name)
            if isinstance(value, int | float) and value < 0:
                raise StripeError(400, f"{name} must be zero or more", param=name)
        async with account.lock:
            switches = outbox.configure(changes)
        log.info(
            "webhook switches",
            extra={"switches": {k: v for k, v in switches.to_json().items() if k != "secret"}},
        )
        return JSONResponse(switches.to_json())

    async def flush(request: Request) -> Response:
        async with account.lock:
            released = outbox.flush()
        return JSONResponse({"released": released})

    async def events(request: Request) -> Response:
        wanted = request.query_params.get("type")
        report = [entry for entry in outbox.report() if wanted is None or entry["type"] == wanted]
        return JSONResponse({"object": "list", "data": report})

    async def resend(request: Request) -> Response:
        async with account.lock:
            event = account.event(request.path_params["id"])
            delivery = outbox.resend(event)
        return JSONResponse({"id": event.id, "delivery": delivery.to_json()})

    return [
        Route("/_sim/webhooks", webhooks, methods=["GET", "POST"]),
        Route("/_sim/webhooks/flush", flush, methods=["POST"]),
        Route("/_sim/events", events, methods=["GET"]),
        Route("/_sim/events/{id}/resend", resend, methods=["POST"]),
    ]


def control_routes(sim: Simulator) -> list[Route]:
    account = sim.account

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "events": len(account.events), "sessions": len(account.sessions)}
        )

    async def advance_clock(request: Request) -> Response:
        seconds = (await _json_body(request)).get("advance_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise StripeError(
                400, "advance_seconds must be a number of seconds, zero or more", param="advance_seconds"
            )
        async with account.lock:
            sim.clock_offset += seconds
            expired = account.expire_due()
        log.info("clock advanced", extra={"advance_seconds": seconds, "offset": sim.clock_offset})
        return JSONResponse(
            {"now": int(sim.now()), "offset_seconds": sim.clock_offset, "expired_sessions": expired}
        )

    async def reset(request: Request) -> Response:
        await sim.reset()
        log.info("simulator reset")
        return JSONResponse({"status": "reset"})

    async def pay(request: Request) -> Response:
        body = await _json_body(request)
        card = str(body.get("card", ""))
        today = datetime.datetime.fromtimestamp(sim.now(), datetime.UTC).date()
        try:
            entry = check_entry(
                card,
                int(body.get("exp_month", 12)),
                int(body.get("exp_year", today.year + 5)),
                str(body.get("cvc", "123")),
                str(body.get("name", "Test Buyer")),
                today=today,
            )
        except CardRejected as rejected:
            raise StripeError(
                402, rejected.message, type="card_error", code=rejected.code, param=rejected.param
            ) from rejected
        except ValueError as exc:
            raise StripeError(400, "exp_month and exp_year must be integers") from exc
        outcome = await sim.pay(request.path_params["id"], entry)
        async with account.lock:
            session = account.session_json(outcome.session)
            intent = account.intent_json(outcome.payment_intent)
        if outcome.error is not None:
            error = StripeError(
                402, str(outcome.error["message"]), type="card_error", code=outcome.error["code"]
            )
            error.extra = {"decline_code": outcome.error["decline_code"], "payment_intent": intent}
            raise error
        return JSONResponse(
            {"outcome": outcome.behaviour.value, "checkout_session": session, "payment_intent": intent}
        )

    return [
        Route("/_sim/health", health, methods=["GET"]),
        Route("/_sim/clock", advance_clock, methods=["POST"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        *webhook_control_routes(sim),
        Route("/_sim/checkout/sessions/{id}/pay", pay, methods=["POST"]),
    ]


# ------------------------------------------------------------------------------------------------- app


def create_app(settings: Settings, clock: Callable[[], float] = time.time) -> Starlette:
    sim = Simulator(settings, clock)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def unknown(request: Request) -> Response:
        raise StripeError(
            404, f"Unrecognized request URL ({request.method}: {request.url.path}).", param=None
        )

    async def stripe_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StripeError)
        return JSONResponse(exc.body(), exc.status)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sim.outbox.start()
        sweeper = asyncio.get_running_loop().create_task(sim.sweep_expired())
        log.info(
            "payment simulator ready",
            extra={
                "url": settings.base_url,
                "webhook_url": settings.webhook_url,
                "test_controls": settings.test_controls,
            },
        )
        try:
            yield
        finally:
            sweeper.cancel()
            await asyncio.gather(sweeper, return_exceptions=True)
            await sim.cancel_timers()
            await sim.outbox.stop()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *api_routes(sim),
        *page_routes(sim),
        *(control_routes(sim) if settings.test_controls else []),
        Route("/v1/{rest:path}", unknown, methods=["GET", "POST", "DELETE"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={StripeError: stripe_error},
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=access_log)],
    )


async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response
