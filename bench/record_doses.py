"""Drive the dose API on PostgreSQL with concurrent clients.

    python bench/record_doses.py [--size 4000] [--clients 8] [--workers 4] [--batch 1000]

Single creation: --size POST /api/v1/doses requests (each a new person), from --clients
client processes with keep-alive connections. Batch creation: 10 x --size doses in
batches of --batch. Then the same single requests against the platform's Django with a
view that parses the request and stores nothing (`_floor_urls.py`): the Django floor,
with the platform's middleware and with none; and
against a WSGI app that does nothing (`_bare_wsgi.py`): the HTTP floor of the machine. Prints its figures last as one JSON line.
"""

import argparse
import http.client
import json
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import _server

from vaxpass.core.identity import PROVINCE_CODES, make_cccd

PRODUCTS = ["EU/1/20/1528", "EU/1/21/1529", "EU/1/20/1507", "BBIBP-CorV"]


PROVINCES = sorted(PROVINCE_CODES)


def dose(i: int, client: int) -> dict:
    serial = client * 10_000_000 + i
    year = 1980 + client // len(PROVINCES)
    return {
        "person": {
            "full_name": f"Nguyễn Văn Thử {serial}",
            "birth_date": f"15/06/{year}",
            # A valid citizen ID, unique per (client, i): the client picks province and year.
            "citizen_id": make_cccd(PROVINCES[client % len(PROVINCES)], "M", year, i),
            "sex": "M",
            "phone": f"09{serial % 100000000:08d}",
        },
        "product": PRODUCTS[serial % len(PRODUCTS)],
        "lot": "BENCH1",
        "given_on": "2021-09-01",
        "idempotency_key": f"bench-{client}-{i}",
    }


def _client(args) -> list[float]:
    port, token, client, count, batch = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies = []
    i = 0
    while i < count:
        if batch:
            body = {"items": [dose(j, client) for j in range(i, min(i + batch, count))]}
            path, i = "/api/v1/doses/batch", min(i + batch, count)
        else:
            body, path, i = dose(i, client), "/api/v1/doses", i + 1
        payload = json.dumps(body)
        start = time.perf_counter()
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        data = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status not in (200, 201):
            raise RuntimeError(f"{response.status}: {data[:300]!r}")
        if batch and json.loads(data)["rejected"]:
            raise RuntimeError(f"rejected items: {data[:300]!r}")
    return latencies


def run(
    port: int, token: str, clients: int, total: int, batch: int, offset: int
) -> tuple[float, list[float]]:
    per_client = total // clients
    jobs = [(port, token, offset + c, per_client, batch) for c in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        start = time.perf_counter()
        results = pool.map(_client, jobs)
        elapsed = time.perf_counter() - start
    return per_client * clients / elapsed, [x for r in results for x in r]


def pct(values: list[float], q: float) -> float:
    return (
        round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 1)
        if len(values) > 1
        else round(values[0] * 1000, 1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=4000, help="single-creation requests")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--database-url", default=_server.DEFAULT_PG, help="an account allowed to CREATE DATABASE"
    )
    args = parser.parse_args()

    with _server.fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        env = _server.bench_env(url, Path(tmp))
        _server.manage(env, "migrate", "-v", "0")
        _server.manage(env, "load_places", "-v", "0")
        token = _server.django_script(
            env,
            """
from vaxpass.accounts.models import ApiToken, Role, User
from vaxpass.places.models import Division, Facility, FacilityKind
ward = Division.objects.filter(era='legacy', level='ward').order_by('code').first()
f = Facility(code='BENCH', name='Bench station', kind=FacilityKind.HEALTH_STATION); f.place_in(ward); f.save()
u = User.objects.create(username='bench', role=Role.FACILITY_STAFF, facility=f)
print(ApiToken.issue(u, 'bench')[1])
""",
        )
        with _server.gunicorn(env, args.workers) as port:
            run(port, token, args.clients, args.clients * 20, 0, 900)  # warm-up
            single_rate, single = run(port, token, args.clients, args.size, 0, 0)
            batch_total = args.size * 10
            batch_clients = min(args.clients, 4)
            batch_rate, batches = run(port, token, batch_clients, batch_total, args.batch, 100)
        # The same clients against a Django view that parses the request and stores
        # nothing: what the framework costs here. Then an app that does nothing at all:
        # what HTTP alone costs.
        floor_env = {**env, "DJANGO_SETTINGS_MODULE": "_floor_settings"}
        django_rates = []
        for middleware in ("platform", "none"):
            with _server.gunicorn({**floor_env, "VAXPASS_FLOOR_MIDDLEWARE": middleware},
                                  args.workers) as port:  # fmt: skip
                run(port, token, args.clients, args.clients * 20, 0, 900)  # warm-up
                django_rates.append(run(port, token, args.clients, args.size, 0, 0)[0])
        with _server.gunicorn(env, args.workers, app="_bare_wsgi:application") as port:
            floor_rate, _floor = run(port, token, args.clients, args.size, 0, 0)
    figures = {
        "bench": "record_doses",
        "database": "postgresql",
        "workers": args.workers,
        "clients": args.clients,
        "single_requests": len(single),
        "single_doses_per_s": round(single_rate, 1),
        "single_p50_ms": pct(single, 50),
        "single_p99_ms": pct(single, 99),
        "batch_size": args.batch,
        "batch_doses": batch_total,
        "batch_doses_per_s": round(batch_rate, 1),
        "batch_p50_ms": pct(batches, 50),
        "batch_p99_ms": pct(batches, 99),
        "django_floor_per_s": round(django_rates[0], 1),
        "django_floor_no_middleware_per_s": round(django_rates[1], 1),
        "http_floor_per_s": round(floor_rate, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
