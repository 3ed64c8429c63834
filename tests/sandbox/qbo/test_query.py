"""The query language: the parser on its own, then the exact statements python-quickbooks sends, over HTTP."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.exceptions import ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.item import Item

from sandbox.qbo.query import QueryParseError, parse_query
from tests.sandbox.qbo.companies import UNICODE_NAME, Sandbox, bulk_company, serve, spec


def test_parser_accepts_qbo_variants() -> None:
    q = parse_query(
        "  select   *,  Sku  from Item\n where Active in ( True , false ) and Name LIKE '%a%'  orderby Name desc "
        " maxresults 5000 startposition 0"
    )
    assert q.entity == "Item" and q.extra_fields == ("Sku",)
    assert [(c.field, c.op, c.values) for c in q.where] == [
        ("Active", "IN", (True, False)),
        ("Name", "LIKE", ("%a%",)),
    ]
    assert q.order_by == (("Name", True),)
    assert q.start_position == 1 and q.max_results == 1000  # capped
    assert parse_query("SELECT COUNT(*) FROM Item ").count
    assert parse_query("SELECT count(*) FROM Account WHERE Active = FALSE").where[0].values == (False,)
    assert parse_query("SELECT * FROM Bill ORDER BY TxnDate ASC").order_by == (("TxnDate", False),)
    assert parse_query("SELECT * FROM Item WHERE Name = 'O\\'Brien'").where[0].values == ("O'Brien",)
    assert parse_query("SELECT * FROM Item").max_results == 100


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM item",  # entity names are case sensitive
        "SELECT * FROM Item WHERE",
        "SELECT * FROM Item WHERE Name = 'x' OR Name = 'y'",
        "SELECT Name FROM Item",
        "SELECT * FROM Item WHERE Name = 'unterminated",
        "SELECT * FROM Item MAXRESULTS ten",
        "DELETE FROM Item",
    ],
)
def test_parser_rejects(statement: str) -> None:
    with pytest.raises(QueryParseError):
        parse_query(statement)


def test_malformed_query_is_a_query_parser_fault(sandbox: Sandbox) -> None:
    response = sandbox.query("SELECT * FROM Item WHERE Name = NULL")
    assert response.status_code == 400
    body = response.json()
    sample = spec("fault-query-parser.json")
    assert set(body) == set(sample)
    assert set(body["Fault"]) == set(sample["Fault"])
    assert set(body["Fault"]["Error"][0]) == set(sample["Fault"]["Error"][0])
    assert body["Fault"]["Error"][0]["code"] == "4000"
    assert body["Fault"]["Error"][0]["Detail"].startswith("QueryParserError")


def test_get_and_post_forms_answer_the_same(sandbox: Sandbox) -> None:
    statement = "SELECT * FROM Item WHERE Type = 'Inventory' ORDERBY Name"
    posted = sandbox.query(statement).json()["QueryResponse"]
    got = sandbox.get("query", query=statement).json()["QueryResponse"]
    assert [i["Name"] for i in posted["Item"]] == ["Pump", "Rock Fountain", "Sprinkler Heads"]
    assert posted == got


def test_where_operators_and_empty_result(sandbox: Sandbox) -> None:
    def names(statement: str) -> list[str]:
        return [i["Name"] for i in sandbox.query(statement).json()["QueryResponse"].get("Item", [])]

    assert names("SELECT * FROM Item WHERE Id IN ('5', '16') ORDERBY Id") == ["Rock Fountain", "Sprinkler Heads"]
    assert names("SELECT * FROM Item WHERE Id > '11' AND Id <= '16'") == ["Sprinkler Heads"]
    assert names("SELECT * FROM Item WHERE Name LIKE '%ump%'") == ["Pump"]
    assert names("SELECT * FROM Item WHERE MetaData.CreateTime >= '2024-01-01T00:00:00-08:00' ORDER BY Id DESC") == [
        "Sprinkler Heads",
        "Pump",
        "Rock Fountain",
    ]
    empty = sandbox.query("SELECT * FROM Item WHERE Name = 'Nothing'").json()
    assert empty["QueryResponse"] == {} and "time" in empty
    bills = sandbox.query("SELECT * FROM Bill WHERE TxnDate >= '2024-01-01'").json()["QueryResponse"]["Bill"]
    assert bills[0]["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"] == {"value": "5", "name": "Rock Fountain"}


def test_inactive_items_only_when_active_is_mentioned(sandbox: Sandbox) -> None:
    default = sandbox.query("SELECT * FROM Item").json()["QueryResponse"]["Item"]
    assert all(i["Active"] for i in default)
    inactive = sandbox.query("SELECT * FROM Item WHERE Active = false").json()["QueryResponse"]["Item"]
    assert [(i["Name"], i["FullyQualifiedName"], i["Active"]) for i in inactive] == [
        ("Old Widget (deleted)", "Old Widget (deleted)", False)
    ]
    both = sandbox.query("SELECT COUNT(*) FROM Item WHERE Active IN (true, false)").json()
    assert both["QueryResponse"] == {"totalCount": 6}


def test_sku_only_with_select_star_comma_sku(sandbox: Sandbox) -> None:
    plain = sandbox.query("SELECT * FROM Item WHERE Id = '11'").json()["QueryResponse"]["Item"][0]
    with_sku = sandbox.query("SELECT *, Sku FROM Item WHERE Id = '11'").json()["QueryResponse"]["Item"][0]
    assert "Sku" not in plain
    assert with_sku["Sku"] == "2890"


def test_quotes_and_unicode_in_names(sandbox: Sandbox) -> None:
    escaped = UNICODE_NAME.replace("'", "\\'")
    found = sandbox.query(f"SELECT * FROM Item WHERE Name = '{escaped}'").json()["QueryResponse"]["Item"]
    assert [i["Name"] for i in found] == [UNICODE_NAME]
    found = sandbox.get("query", query="SELECT * FROM Item WHERE Name LIKE '%Café ☕'").json()
    assert found["QueryResponse"]["Item"][0]["Id"] == "21"


# ------------------------------------------------------------------ python-quickbooks' own statements


@pytest.fixture
def qb(sandbox: Sandbox) -> Iterator[QuickBooks]:
    tokens = sandbox.state.issue_tokens(sandbox.realm_id)
    auth = AuthClient(
        sandbox.state.client_id,
        sandbox.state.client_secret,
        "http://127.0.0.1/callback",
        sandbox.discovery_url,
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens["refresh_token"]),
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        client = QuickBooks(
            auth_client=auth, refresh_token=tokens["refresh_token"], company_id=sandbox.realm_id, minorversion=75
        )
        client.api_url_v3 = sandbox.url + "/v3"
        yield client


def test_python_quickbooks_helpers(qb: QuickBooks, sandbox: Sandbox) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        all_items = Item.all(qb=qb)
        assert {i.Name for i in all_items} == {"Design", "Rock Fountain", "Pump", "Sprinkler Heads", UNICODE_NAME}
        assert {i.Sku for i in all_items if i.Name == "Pump"} == {"2890"}
        active_inventory = Item.filter(Active=True, Type="Inventory", order_by="Name", qb=qb)
        assert [i.Name for i in active_inventory] == ["Pump", "Rock Fountain", "Sprinkler Heads"]
        named = Item.filter(Name=UNICODE_NAME, qb=qb)  # python-quickbooks escapes the quote as \'
        assert [i.Id for i in named] == ["21"]
        page = Item.where("Active IN (true, false)", order_by="Id", start_position=2, max_results=2, qb=qb)
        assert [i.Id for i in page] == ["5", "11"]
        no_where = Item.where("", start_position=1, max_results=1000, qb=qb)  # "SELECT * FROM Item  STARTPOSITION"
        assert len(no_where) == 5
        assert Item.count("Type = 'Inventory'", qb=qb) == 3
        assert Item.count(qb=qb) == 5
        assert [i.Id for i in Item.choose(["16", "5"], qb=qb)] == ["5", "16"]
        inventory_accounts = Account.filter(AccountSubType="Inventory", qb=qb)
        assert {a.Id for a in inventory_accounts} == {"81", "82"}
        with pytest.raises(ValidationException):
            Item.query("SELECT * FROM Item WHERE Bogus = 'x'", qb=qb)
    assert sandbox.state.minor_versions and set(sandbox.state.minor_versions) == {"75"}


def test_paging_2345_items() -> None:
    with serve(bulk_company(2345)) as sb:
        total = sb.query("SELECT COUNT(*) FROM Item WHERE Active IN (true, false)").json()["QueryResponse"]
        assert total == {"totalCount": 2345}
        seen: list[str] = []
        for start in (1, 1001, 2001):
            statement = f"SELECT *, Sku FROM Item WHERE Active IN (true, false) ORDERBY Id STARTPOSITION {start}"
            page = sb.query(statement + " MAXRESULTS 1000").json()["QueryResponse"]
            assert page["startPosition"] == start
            assert page["maxResults"] == len(page["Item"])
            seen += [i["Id"] for i in page["Item"]]
        assert len(seen) == 2345 and len(set(seen)) == 2345
        assert seen == sorted(seen, key=int)
        beyond = sb.query("SELECT * FROM Item WHERE Active IN (true, false) STARTPOSITION 3001 MAXRESULTS 1000")
        assert beyond.json()["QueryResponse"] == {}
        active = sb.query("SELECT COUNT(*) FROM Item").json()["QueryResponse"]["totalCount"]
        assert active == sum(1 for n in range(2345) if n % 7 != 0)


def test_a_page_of_1000_from_50000_items_is_fast() -> None:
    with serve(bulk_company(50_000)) as sb:
        statement = (
            "SELECT *, Sku FROM Item WHERE Active IN (true, false) ORDERBY Id STARTPOSITION 49001 MAXRESULTS 1000"
        )
        sb.query(statement)  # builds the index once
        started = time.perf_counter()
        page = sb.query(statement).json()["QueryResponse"]
        elapsed = time.perf_counter() - started
        assert len(page["Item"]) == 1000 and page["Item"][-1]["Id"] == str(1000 + 49_999)
        assert elapsed < 1.0, f"a page took {elapsed:.3f}s"
        assert Decimal(str(page["Item"][0]["PurchaseCost"])) == Decimal("2.5")
