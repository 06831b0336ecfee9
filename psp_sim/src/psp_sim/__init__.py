"""A local Stripe-compatible payment simulator.

It speaks the part of Stripe's HTTP API that Taquilla uses (Checkout Sessions, PaymentIntents,
refunds, events), serves a hosted payment page that takes Stripe's test cards, and sends signed
webhooks the way Stripe does, so the official ``stripe`` SDK talks to it unchanged. State is kept in
memory by one process. See psp_sim/README.md.
"""
