"""The web app's refresh token, kept in an HttpOnly cookie that only the auth endpoints receive.

Script in the page can never read it (ADR 0007): the web app holds only the 15-minute access token,
in memory, and renews it by calling the token endpoint, which reads the cookie. The cookie is
``HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth``. Browsers treat http://127.0.0.1 and
http://localhost as secure contexts and keep ``Secure`` cookies there, so development and the
browser tests need no TLS; clients that are not browsers (httpx, curl) send it back only over https
or when told to.

CSRF: a request that reads or sets the cookie must carry the ``X-Taquilla-CSRF`` header, which a
cross-site form or navigation cannot send and a cross-site ``fetch`` cannot send without a CORS
preflight the edge never grants; and when the browser says where it comes from (``Origin``), that
must be this very origin or the web app's. ``SameSite=Strict`` keeps the cookie off cross-site
requests besides.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from edge.config import EdgeSettings

REFRESH_COOKIE = "taquilla_refresh"
COOKIE_PATH = "/api/v1/auth"
CSRF_HEADER = "X-Taquilla-CSRF"
# A family ends 30 days after its sign-in (identity_svc refuses it then); the cookie ends about then too.
MAX_AGE_SECONDS = 30 * 24 * 3600


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def csrf_refusal(request: Request, settings: EdgeSettings) -> str | None:
    """Why a cookie request is refused as a possible cross-site forgery, or None."""
    if not request.headers.get(CSRF_HEADER):
        return f"the {CSRF_HEADER} header is required with the refresh cookie"
    origin = request.headers.get("origin")
    if origin is None:
        return None  # same-origin GETs and non-browser clients send none
    host = request.headers.get("host", "")
    allowed = {_origin(settings.web_app_url), _origin(settings.public_url)}
    if origin.lower() in allowed or urlsplit(origin).netloc.lower() == host.lower():
        return None
    return "the request comes from another site"


def refresh_cookie(request: Request) -> str | None:
    return request.cookies.get(REFRESH_COOKIE) or None


def set_refresh_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="strict")
