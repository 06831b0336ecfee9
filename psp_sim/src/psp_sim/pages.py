"""The hosted payment page: plain HTML and CSS, no scripts, no external assets.

Everything that comes from a merchant or a buyer is escaped. The card number is never written back
into a page: after a decline the buyer types it again, as on Stripe's page.
"""

from __future__ import annotations

from html import escape

from psp_sim.account import CheckoutSession, format_amount
from psp_sim.cards import KNOWN_CARDS

_STYLE = """
:root { color-scheme: light dark; --accent: #4338ca; --error: #b42318; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
.banner { background: #fff4d6; color: #5c3b00; border: 1px solid #e3b341; border-radius: .5rem;
  padding: .5rem .75rem; font-size: .9rem; }
h1 { font-size: 1.5rem; margin: 1.25rem 0 .25rem; }
.amount { font-size: 2rem; font-weight: 700; margin: 0 0 1rem; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0 1.25rem; }
th, td { text-align: left; padding: .35rem .25rem; border-bottom: 1px solid #d0d7de; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
form { display: grid; gap: .9rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { width: 100%; font: inherit; padding: .6rem .7rem; border: 1px solid #8c959f; border-radius: .4rem; }
input:focus, button:focus, a:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
input[aria-invalid="true"] { border-color: var(--error); border-width: 2px; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: .9rem; }
.hint { color: var(--muted); font-size: .875rem; margin: .2rem 0 0; }
button { font: inherit; font-weight: 700; padding: .75rem 1rem; border: 0; border-radius: .4rem;
  background: var(--accent); color: #fff; cursor: pointer; }
.error { border: 2px solid var(--error); color: var(--error); border-radius: .4rem; padding: .6rem .75rem;
  font-weight: 600; }
.cancel { display: inline-block; margin-top: 1rem; }
code { font-size: .95rem; }
@media (prefers-color-scheme: dark) {
  :root { --accent: #a5b4fc; --error: #ff8a80; --muted: #9da7b3; }
  body { background: #0d1117; color: #e6edf3; }
  input { background: #161b22; color: #e6edf3; }
  button { color: #0d1117; }
  .banner { background: #3b2e00; color: #ffe8a3; }
}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        '<p class="banner" role="note"><strong>Test mode.</strong> This is Taquilla\'s payment simulator: '
        "no real card is charged.</p>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _summary(session: CheckoutSession) -> str:
    rows = "".join(
        f'<tr><td>{escape(item.name)}</td><td class="num">{item.quantity}</td>'
        f'<td class="num">{escape(format_amount(item.amount, item.currency))}</td></tr>'
        for item in session.line_items
    )
    return (
        '<table aria-label="Order summary"><thead><tr><th scope="col">Item</th>'
        '<th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _test_cards() -> str:
    rows = "".join(
        f"<tr><td><code>{' '.join(card.number[i : i + 4] for i in range(0, 16, 4))}</code></td>"
        f"<td>{escape(card.description)}</td></tr>"
        for card in KNOWN_CARDS
    )
    return (
        '<section aria-labelledby="test-cards"><h2 id="test-cards">Test cards</h2>'
        '<table><thead><tr><th scope="col">Number</th><th scope="col">What happens</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        '<p class="hint">Use any future expiry date, any three-digit CVC and any name.</p></section>'
    )


def payment_form(
    session: CheckoutSession, *, error: str | None = None, invalid_field: str | None = None, name: str = ""
) -> str:
    """The card form for an open session, with ``error`` above it after a decline or a typo."""
    total = format_amount(session.amount_total, session.currency)

    def field(
        field_id: str, label: str, autocomplete: str, *, hint: str = "", numeric: bool = True, value: str = ""
    ) -> str:
        attributes = [
            f'id="{field_id}"',
            f'name="{field_id}"',
            f'autocomplete="{autocomplete}"',
            "required",
        ]
        if numeric:
            attributes.append('inputmode="numeric"')
        described = []
        if hint:
            described.append(f"{field_id}-hint")
        if invalid_field == field_id:
            attributes += ['aria-invalid="true"', "autofocus"]
            described.append("payment-error")
        if described:
            attributes.append(f'aria-describedby="{" ".join(described)}"')
        if value:
            attributes.append(f'value="{escape(value)}"')
        hint_html = f'<p class="hint" id="{field_id}-hint">{escape(hint)}</p>' if hint else ""
        return f'<div><label for="{field_id}">{label}</label><input {" ".join(attributes)}>{hint_html}</div>'

    error_html = (
        f'<p class="error" id="payment-error" role="alert">{escape(error)}</p>' if error is not None else ""
    )
    cancel = (
        f'<a class="cancel" href="{escape(session.cancel_url)}">Cancel and go back</a>'
        if session.cancel_url
        else ""
    )
    body = (
        f'<h1>Pay for your order</h1>\n<p class="amount">{escape(total)}</p>\n{_summary(session)}\n'
        f"{error_html}\n"
        f'<form method="post" action="/pay/{escape(session.id)}" aria-label="Card details">\n'
        + field("card_number", "Card number", "cc-number", hint="For example 4242 4242 4242 4242")
        + '<div class="row">'
        + field("expiry", "Expiry date", "cc-exp", hint="MM / YY")
        + field("cvc", "Security code (CVC)", "cc-csc", hint="3 or 4 digits")
        + "</div>"
        + field("name", "Name on card", "cc-name", numeric=False, value=name)
        + f'<button type="submit">Pay {escape(total)}</button>\n</form>\n{cancel}\n{_test_cards()}'
    )
    return _page(f"Pay {total} (test mode)", body)


def closed(session: CheckoutSession) -> str:
    """The page of a session that takes no more payments: expired, paid or being paid."""
    total = format_amount(session.amount_total, session.currency)
    if session.status == "expired":
        heading = "This payment page has expired"
        text = "The time to pay for this order has run out, and nothing was charged."
        link = session.cancel_url
        link_text = "Go back to the shop"
    elif session.payment_status == "paid":
        heading = "This order is paid"
        text = f"{total} was paid. There is nothing more to do here."
        link = success_url(session)
        link_text = "Continue"
    else:
        heading = "Your payment is being processed"
        text = f"The payment of {total} was accepted and will be confirmed shortly."
        link = success_url(session)
        link_text = "Continue"
    link_html = f'<p><a href="{escape(link)}">{link_text}</a></p>' if link else ""
    return _page(heading, f'<h1>{heading}</h1>\n<p role="status">{escape(text)}</p>\n{link_html}')


def not_found(session_id: str) -> str:
    return _page(
        "Payment page not found",
        "<h1>Payment page not found</h1>\n"
        f"<p>There is no checkout session <code>{escape(session_id)}</code>.</p>",
    )


def success_url(session: CheckoutSession) -> str | None:
    """The success URL with Stripe's ``{CHECKOUT_SESSION_ID}`` template filled in."""
    if session.success_url is None:
        return None
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id)
