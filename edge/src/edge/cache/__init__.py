"""Catalog responses cached in Redis: versioned, bounded in time, rebuilt once per key at a time.

* :mod:`edge.cache.store`: the cache itself (Redis, the in-process copy, versions, locks);
* :mod:`edge.cache.reads`: the one dependency catalog routes read through,
  ``await reads.cached(key, build)``;
* :mod:`edge.cache.middleware`: answers before routing, and the version bump after writes.

**Versions.** ``edge:catalog:version`` counts the catalog's changes. Every entry records the version
it was built under, and the version is read *before* the service is asked, in the same round trip
as the entry (MGET). The edge increments it after every catalog write it proxies and before the
write's response leaves (:class:`InvalidateOnCatalogWrites`), and every edge instance shares Redis,
so the first read after a write has returned misses and asks the service: no stale read after a
write. An answer built from data older than a write can only ever be stored under the older version.

**Writes that bypass the edge** (the seed, event_svc's own housekeeping, tickets sold by a later
service changing ``available``) do not bump the version: the TTL (``EDGE_CACHE_TTL_SECONDS``, 30 s
by default) bounds how stale those can be. See docs/adr/0011-edge-response-cache.md.

**Stampedes.** On a miss, one request per key and version takes a short lock (SET NX PX) and asks
the service; the others poll for its entry for up to ``wait_seconds``, then ask the service
themselves rather than wait longer.

**In process.** The rate limiter's round trip reads the version along (RateLimiter ``read_along``),
so a request that comes with it is first looked up in a small in-process copy of recent entries,
kept under the same version and expiry as in Redis: a hit then costs no Redis call of its own.

**Before FastAPI.** A request that repeats, byte for byte, the path and query string of a shared
answer already given (:class:`CachedReads`) is answered from that in-process copy without routing,
validation or dependencies: it already passed through correlation, metrics, authentication and the
rate limit, and the version check is the same. Anything else goes on to the routes.

**Failures.** Redis errors never fail a request: it is answered by the service, counted as
``error``, and Redis is left alone for a couple of seconds. If a version bump fails, this instance
stops reading the cache for a TTL, since its entries could be stale.
"""
