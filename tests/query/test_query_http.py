"""What the emulator cannot show, against BigQuery-shaped HTTP replies (respx): bytes
scanned and the cap, jobs that take a while, error replies and retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import orjson
import pytest
import respx
from typer.testing import CliRunner, Result

from pittgoogle_cli.bigquery.client import BigQueryClient
from pittgoogle_cli.bigquery.sql import Query
from pittgoogle_cli.cli import app

from ..replies import bigquery_error

HOST = "bigquery.test"
API = f"http://{HOST}/bigquery/v2/projects/pgb-tests"
JOB = {"projectId": "pgb-tests", "jobId": "job_abc", "location": "US"}
SCHEMA = {"fields": [{"name": "n", "type": "INTEGER", "mode": "NULLABLE"}]}
GiB = 2**30


def rows(*values: int) -> list[dict[str, Any]]:
    return [{"f": [{"v": str(v)}]} for v in values]


def dry_reply(scanned: int) -> dict[str, Any]:
    # A dry run through jobs.query: no job id, no rows, the bytes it would scan.
    return {
        "kind": "bigquery#queryResponse",
        "schema": SCHEMA,
        "jobReference": {"projectId": "pgb-tests", "location": "US"},
        "totalBytesProcessed": str(scanned),
        "jobComplete": True,
        "cacheHit": False,
    }


class FakeBigQuery:
    """Answers jobs.query (dry runs and real runs) and getQueryResults as BigQuery does;
    the test says what each real run and each poll returns."""

    def __init__(self, mock: respx.MockRouter, scanned: int = 1234) -> None:
        self.scanned: int | Callable[[dict[str, Any]], int] = scanned
        self.runs: list[httpx.Response] = []
        self.polls: list[httpx.Response] = []
        self.run_bodies: list[dict[str, Any]] = []
        self.dry_bodies: list[dict[str, Any]] = []
        self.poll_params: list[dict[str, str]] = []
        mock.post(f"{API}/queries").mock(side_effect=self._query)
        self.results = mock.get(url__startswith=f"{API}/queries/job_abc").mock(
            side_effect=self._poll
        )
        self.cancel = mock.post(url__startswith=f"{API}/jobs/job_abc/cancel").mock(
            return_value=httpx.Response(200, json={"kind": "bigquery#jobCancelResponse"})
        )

    def _query(self, request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        if body.get("dryRun"):
            self.dry_bodies.append(body)
            scanned = self.scanned(body) if callable(self.scanned) else self.scanned
            return httpx.Response(200, json=dry_reply(scanned))
        self.run_bodies.append(body)
        return self.runs.pop(0)

    def _poll(self, request: httpx.Request) -> httpx.Response:
        self.poll_params.append(dict(request.url.params))
        return self.polls.pop(0)


def page(values: list[int], token: str | None = None, total: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {
        "kind": "bigquery#getQueryResultsResponse",
        "jobReference": JOB,
        "jobComplete": True,
        "schema": SCHEMA,
        "rows": rows(*values),
        "totalRows": str(total if total is not None else len(values)),
    }
    if token:
        body["pageToken"] = token
    return httpx.Response(200, json=body)


def running() -> httpx.Response:
    return httpx.Response(200, json={"jobReference": JOB, "jobComplete": False})


@pytest.fixture
def bigquery() -> Iterator[FakeBigQuery]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield FakeBigQuery(mock)


def pgb(*args: str, **env: str) -> Result:
    environment: dict[str, str | None] = {
        "BIGQUERY_EMULATOR_HOST": HOST,
        "GOOGLE_CLOUD_PROJECT": "pgb-tests",
        "PGB_MAX_BYTES": None,
        "PGB_PRICE_PER_TIB": None,
        **env,
    }
    return CliRunner().invoke(app, ["query", *args], env=environment)


def values(result: Result) -> list[int]:
    return [orjson.loads(line)["n"] for line in result.stdout.splitlines()]


SQL = ["--sql", "SELECT n FROM t"]


def test_a_slow_job_is_polled_then_paged_in_order(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [running()]
    bigquery.polls = [running(), page([1, 2], "p2", 5), page([3, 4], "p3", 5), page([5], None, 5)]
    result = pgb(*SQL)
    assert result.exit_code == 0, result.stderr
    assert values(result) == [1, 2, 3, 4, 5]
    assert [p.get("pageToken") for p in bigquery.poll_params] == [None, None, "p2", "p3"]
    assert {p["location"] for p in bigquery.poll_params} == {"US"}
    assert "5 rows written" in result.stderr


def test_the_first_page_can_come_with_the_query(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [page([7, 8], "next", 3)]
    bigquery.polls = [page([9], None, 3)]
    result = pgb(*SQL)
    assert result.exit_code == 0, result.stderr
    assert values(result) == [7, 8, 9]


def test_a_dry_run_reports_bytes_and_price_and_runs_nothing(bigquery: FakeBigQuery) -> None:
    bigquery.scanned = 3 * GiB
    result = pgb(*SQL, "--dry-run", "--price-per-tib", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "3.00 GiB" in result.stderr
    assert f"${3 * GiB / 2**40 * 5:.2f}" in result.stderr
    assert bigquery.run_bodies == []
    assert bigquery.dry_bodies[0]["useLegacySql"] is False


def test_the_cap_refuses_a_bigger_query_with_exit_5(bigquery: FakeBigQuery) -> None:
    bigquery.scanned = 11 * GiB  # over the 10 GiB default
    result = pgb(*SQL)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "--max-bytes" in result.stderr
    assert "11.00 GiB" in result.stderr
    assert bigquery.run_bodies == []


def test_a_raised_cap_runs_it_and_is_sent_as_maximum_bytes_billed(
    bigquery: FakeBigQuery,
) -> None:
    bigquery.scanned = 11 * GiB
    bigquery.runs = [page([1])]
    result = pgb(*SQL, "--max-bytes", "20GiB")
    assert result.exit_code == 0, result.stderr
    assert values(result) == [1]
    assert bigquery.run_bodies[0]["maximumBytesBilled"] == str(20 * GiB)


def test_the_cap_from_the_environment(bigquery: FakeBigQuery) -> None:
    bigquery.scanned = 2_000_000
    result = pgb(*SQL, PGB_MAX_BYTES="1MB")
    assert result.exit_code == 5


def test_bigquerys_own_bytes_billed_refusal_is_exit_5(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [
        bigquery_error(400, "bytesBilledLimitExceeded", "Query exceeded limit for bytes billed")
    ]
    result = pgb(*SQL)
    assert result.exit_code == 5
    assert "bytesBilledLimitExceeded" in result.stderr


def test_says_when_limit_saves_nothing(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [page([1])]
    result = pgb("--objectId", "ZTF18abc", "--max", "1")
    assert result.exit_code == 0, result.stderr
    assert "does not reduce the bytes scanned" in result.stderr
    limits = [p for b in bigquery.dry_bodies for p in b.get("queryParameters", [])]
    assert any(p["name"] == "limit" for p in limits)


def test_quiet_about_limit_when_it_does_save(bigquery: FakeBigQuery) -> None:
    bigquery.scanned = lambda body: 10**6 if "LIMIT" in body["query"] else 10**9
    bigquery.runs = [page([1])]
    result = pgb("--objectId", "ZTF18abc", "--max", "1")
    assert result.exit_code == 0, result.stderr
    assert "does not reduce" not in result.stderr


def test_a_rate_limit_403_is_retried(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [
        bigquery_error(403, "rateLimitExceeded", "Exceeded rate limits: too many api requests"),
        page([1, 2]),
    ]
    result = pgb(*SQL)
    assert result.exit_code == 0, result.stderr
    assert values(result) == [1, 2]
    assert len(bigquery.run_bodies) == 2
    # the same requestId: BigQuery returns the first call's job rather than a second job
    assert bigquery.run_bodies[0]["requestId"] == bigquery.run_bodies[1]["requestId"]


def test_a_5xx_is_retried(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [bigquery_error(503, "backendError", "Backend error"), page([4])]
    result = pgb(*SQL)
    assert result.exit_code == 0, result.stderr
    assert values(result) == [4]


@pytest.mark.parametrize(
    ("code", "reason", "message", "exit_code"),
    [
        (400, "invalidQuery", "Unrecognized name: nope at [1:8]", 1),
        (404, "notFound", "Not found: Table ardent-cycling-243415:ztf.nope", 4),
        (403, "accessDenied", "Access Denied: User does not have bigquery.jobs.create", 6),
        (403, "quotaExceeded", "Quota exceeded: Your project exceeded quota for free bytes", 1),
    ],
)
def test_errors_are_one_line_with_the_reason(
    bigquery: FakeBigQuery, code: int, reason: str, message: str, exit_code: int
) -> None:
    bigquery.runs = [bigquery_error(code, reason, message)]
    result = pgb(*SQL)
    assert result.exit_code == exit_code
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"pgb: BigQuery {reason}: {message}"
    assert len(bigquery.run_bodies) == 1  # not retried


def test_a_job_that_failed_while_polled(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [running()]
    failed = {
        "jobReference": JOB,
        "jobComplete": True,
        "status": {
            "state": "DONE",
            "errorResult": {"reason": "resourcesExceeded", "message": "Resources exceeded"},
        },
    }
    bigquery.polls = [httpx.Response(200, json=failed)]
    result = pgb(*SQL)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "pgb: BigQuery resourcesExceeded: Resources exceeded"


@pytest.mark.parametrize(
    "args",
    [
        ["--objectId", "ZTF18abc", "--sql", "SELECT 1"],
        [],
        ["--objectId", "ZTF18abc", "--table", "ardent-cycling-243415.ztf.alerts`; DROP x"],
        ["--objectId", "ZTF18abc", "--columns", "objectId,`x`"],
        ["--sql", "SELECT @a", "--param", "a:INT64:seven"],
        ["--sql", "SELECT @a", "--param", "a b:STRING:x"],
        ["--objectId", "ZTF18abc", "--max-bytes", "lots"],
    ],
)
def test_bad_options_are_exit_2_before_any_request(bigquery: FakeBigQuery, args: list[str]) -> None:
    result = pgb(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("pgb: ")
    assert bigquery.dry_bodies == [] and bigquery.run_bodies == []


def test_no_project_is_exit_2(bigquery: FakeBigQuery) -> None:
    result = pgb(*SQL, GOOGLE_CLOUD_PROJECT="")
    assert result.exit_code == 2
    assert "--project" in result.stderr


def test_a_query_given_up_is_cancelled_so_it_stops_billing(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [running()]
    bigquery.polls = [running() for _ in range(100)]  # a long job

    async def give_up() -> None:
        async with BigQueryClient("pgb-tests", emulator_host=HOST) as bq:
            with anyio.move_on_after(0.5):  # what Ctrl-C does to the running task
                async with bq.query(Query("SELECT n FROM t")) as result:
                    async for _ in result:
                        pass

    anyio.run(give_up)
    assert bigquery.cancel.call_count == 1
    assert bigquery.cancel.calls.last.request.url.params["location"] == "US"


def test_a_finished_query_is_not_cancelled(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [page([1, 2])]
    result = pgb(*SQL, "--max", "1")
    assert result.exit_code == 0, result.stderr
    assert bigquery.cancel.call_count == 0


def test_max_fetches_no_page_it_does_not_need(bigquery: FakeBigQuery) -> None:
    bigquery.runs = [page([1, 2], "p2", 10)]
    bigquery.polls = [page([3, 4], "p3", 10), page([5, 6], "p4", 10), page([7], None, 10)]
    result = pgb(*SQL, "--max", "3")
    assert result.exit_code == 0, result.stderr
    assert values(result) == [1, 2, 3]
    assert "3 rows written of 10; stopped at --max 3" in result.stderr
    assert bigquery.results.call_count == 1
    assert bigquery.run_bodies[0]["maxResults"] == 4  # three rows and one to see if more
    assert bigquery.poll_params[0]["maxResults"] == "2"
