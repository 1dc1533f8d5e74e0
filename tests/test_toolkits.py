"""The shipped tool packs (agentkit.tools): behaviour, metadata and every sandbox refusal."""

from __future__ import annotations

import http.server
import os
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from agentkit import ConfigError, Tool, ToolArgumentError
from agentkit.tools import PACKS, AccessDenied, load_pack
from agentkit.tools import data, files, http as http_pack, taskbench, text
from agentkit.tools import datetime as dtp
from agentkit.tools import math as mathp

FIX = Path(__file__).parent / "fixtures"


# -- packs ----------------------------------------------------------------------------------


def test_unknown_pack_is_a_config_error_listing_known_packs():
    with pytest.raises(ConfigError, match="known packs: files, math, datetime, text, data, http, taskbench"):
        load_pack("maths")


def test_unknown_pack_option_is_a_config_error():
    with pytest.raises(ConfigError, match="'math'"):
        load_pack("math", root=".")


def test_bad_pack_option_value_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not a directory"):
        load_pack("files", root=tmp_path / "missing")


def test_every_tool_is_documented_typed_and_executable(tmp_path):
    options = {"files": {"root": tmp_path}, "data": {"root": tmp_path}, "taskbench": {"domain_dir": FIX / "taskbench_resource"}}
    for name in PACKS:
        for t in load_pack(name, **options.get(name, {})):
            assert t.description and t.input_types and t.executable and t.category == name, t.name
            assert 0 < t.prior.quality <= 1 and t.prior.cost > 0, t.name
            assert t.output_types or name == "taskbench", t.name


# -- files ----------------------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("hello\nworld\n")
    (root / "sub" / "b.csv").write_text("x\n")
    (tmp_path / "secret.txt").write_text("top secret")
    return root, {t.name: t for t in files.pack(root)}


def test_read_file_reads_inside_the_root(sandbox):
    _, t = sandbox
    assert t["read_file"](path="notes.txt") == "hello\nworld\n"


def test_read_file_refuses_dotdot_traversal(sandbox):
    _, t = sandbox
    with pytest.raises(AccessDenied, match=r"'\.\.'"):
        t["read_file"](path="../secret.txt")


def test_read_file_refuses_absolute_path_outside_root(sandbox):
    root, t = sandbox
    with pytest.raises(PermissionError, match="outside the sandbox root"):
        t["read_file"](path=str(root.parent / "secret.txt"))


def test_read_file_refuses_symlink_escape(sandbox):
    root, t = sandbox
    (root / "link.txt").symlink_to(root.parent / "secret.txt")
    with pytest.raises(AccessDenied, match="outside the sandbox root"):
        t["read_file"](path="link.txt")


def test_list_dir_refuses_symlinked_directory_escape(sandbox):
    root, t = sandbox
    (root / "out").symlink_to(root.parent)
    with pytest.raises(AccessDenied):
        t["list_dir"](path="out")


def test_read_file_refuses_files_over_the_size_limit(sandbox):
    root, _ = sandbox
    small = {t.name: t for t in files.pack(root, max_read_bytes=5)}
    with pytest.raises(ValueError, match="over the read limit of 5"):
        small["read_file"](path="notes.txt")


def test_list_dir_lists_sorted_entries_with_types(sandbox):
    root, t = sandbox
    (root / "link").symlink_to(root / "notes.txt")
    assert [(e["name"], e["type"]) for e in t["list_dir"]()] == [("link", "symlink"), ("notes.txt", "file"), ("sub", "directory")]
    assert [e["path"] for e in t["list_dir"](path="sub", pattern="*.csv")] == ["sub/b.csv"]


def test_write_file_needs_approval_and_refuses_to_overwrite_by_default(sandbox):
    root, t = sandbox
    assert t["write_file"].needs_approval
    assert t["write_file"](path="new/out.txt", content="hi") == {"path": "new/out.txt", "bytes": 2}
    assert (root / "new" / "out.txt").read_text() == "hi"
    with pytest.raises(FileExistsError, match="overwrite"):
        t["write_file"](path="new/out.txt", content="again")


def test_write_file_refuses_writing_through_an_escaping_symlink(sandbox):
    root, t = sandbox
    (root / "evil.txt").symlink_to(root.parent / "secret.txt")
    with pytest.raises(AccessDenied):
        t["write_file"](path="evil.txt", content="pwned", overwrite=True)
    assert (root.parent / "secret.txt").read_text() == "top secret"


def test_file_info_describes_a_file(sandbox):
    _, t = sandbox
    info = t["file_info"](path="notes.txt")
    assert (info["path"], info["type"], info["size"], info["suffix"]) == ("notes.txt", "file", 12, ".txt")


# -- math -----------------------------------------------------------------------------------


def test_calculate_follows_precedence_and_functions():
    assert mathp.calculate(expression="2 + 3 * 4 ** 2 / 8 - 1") == 7.0
    assert mathp.calculate(expression="sqrt(16) + 2^3 + floor(pi)") == 15.0


def test_calculate_refuses_attribute_access():
    with pytest.raises(ValueError, match="attribute access"):
        mathp.calculate(expression="(1).__class__")


def test_calculate_refuses_names_and_unlisted_functions():
    with pytest.raises(ValueError, match="unknown name 'x'"):
        mathp.calculate(expression="x + 1")
    with pytest.raises(ValueError, match="'__import__' is not allowed"):
        mathp.calculate(expression="__import__('os')")


def test_calculate_refuses_huge_exponents_at_once():
    started = time.perf_counter()
    with pytest.raises(ValueError, match="too large"):
        mathp.calculate(expression="9**9**9")
    with pytest.raises(ValueError, match="too large"):
        mathp.calculate(expression="10.0 ** 400")
    assert time.perf_counter() - started < 10  # refused up front; computing 9**9**9 would take hours


def test_calculate_reports_division_by_zero():
    with pytest.raises(ValueError, match="division by zero"):
        mathp.calculate(expression="1 / (2 - 2)")


def test_convert_units_applies_temperature_offsets():
    assert mathp.convert_units(value=100, from_unit="C", to_unit="F") == 212.0
    assert mathp.convert_units(value=32, from_unit="fahrenheit", to_unit="celsius") == 0.0
    assert mathp.convert_units(value=0, from_unit="K", to_unit="°C") == -273.15


def test_convert_units_scales_length_speed_and_data():
    assert mathp.convert_units(value=1, from_unit="mile", to_unit="km") == 1.609344
    assert mathp.convert_units(value=36, from_unit="km/h", to_unit="m/s") == 10.0
    assert mathp.convert_units(value=1, from_unit="GiB", to_unit="MB") == 1073.741824


def test_convert_units_refuses_mixed_dimensions():
    with pytest.raises(ValueError, match="cannot convert length"):
        mathp.convert_units(value=1, from_unit="m", to_unit="kg")


def test_percentage_of():
    assert mathp.percentage_of(percent=15, value=80) == 12.0


async def test_math_tool_arguments_are_validated_before_the_call():
    with pytest.raises(ToolArgumentError, match="value"):
        await mathp.convert_units.acall({"value": "lots", "from_unit": "m", "to_unit": "km"})


# -- datetime -------------------------------------------------------------------------------


def test_now_is_timezone_aware():
    assert dtp.now(timezone="Asia/Kolkata").endswith("+05:30")


def test_unknown_timezone_is_refused_with_an_example():
    with pytest.raises(ValueError, match="IANA name"):
        dtp.now(timezone="Mars/Olympus")


def test_date_difference_in_days_and_hours():
    assert dtp.date_difference(start="2024-01-01", end="2024-03-01") == 60.0
    assert dtp.date_difference(start="2024-03-01T00:00Z", end="2024-03-01T06:30+02:00", unit="hours") == 4.5


def test_add_duration_clamps_months_to_the_month_end():
    assert dtp.add_duration(start="2024-01-31", months=1) == "2024-02-29"
    assert dtp.add_duration(start="2024-01-31T22:00", hours=3) == "2024-02-01T01:00:00"


def test_weekday_and_format_with_timezone_conversion():
    assert dtp.weekday(date="2024-03-01") == "Friday"
    assert dtp.format_datetime(value="2024-03-01T12:00Z", format="%d/%m %H:%M", timezone="Asia/Tokyo") == "01/03 21:00"
    assert dtp.format_datetime(value="01/03/2024", format="%Y-%m-%d", input_format="%d/%m/%Y") == "2024-03-01"


# -- text -----------------------------------------------------------------------------------

PROSE = "Agents plan tool calls. Tools have types! Do agents plan well? Agents use tools and plans."


def test_text_stats_counts_words_characters_and_sentences():
    stats = text.text_stats(text=PROSE)
    assert (stats["words"], stats["characters"], stats["sentences"], stats["lines"]) == (16, len(PROSE), 4, 1)


def test_summarize_text_keeps_the_first_sentences():
    assert text.summarize_text(text=PROSE, max_sentences=2) == "Agents plan tool calls. Tools have types!"


def test_regex_find_returns_matches_with_groups():
    found = text.regex_find(pattern=r"(\d+)-(\d+)", text="a 1-2 b 33-44")
    assert [(m["match"], m["start"], m["groups"]) for m in found] == [("1-2", 2, ["1", "2"]), ("33-44", 8, ["33", "44"])]


def test_regex_find_stops_catastrophic_backtracking(monkeypatch):
    monkeypatch.setattr(text, "REGEX_TIMEOUT", 0.1)
    started = time.perf_counter()
    with pytest.raises(TimeoutError, match="catastrophic"):
        text.regex_find(pattern=r"(a|aa)+$", text="a" * 60 + "b")
    assert time.perf_counter() - started < 10  # stopped at the timeout; unbounded, this backtracks for years


def test_change_case_converts_between_styles():
    assert text.change_case(text="hello World fooBar", case="snake") == "hello_world_foo_bar"
    assert text.change_case(text="hello world-wide", case="camel") == "helloWorldWide"
    assert text.change_case(text="HELLO there. how ARE you?", case="sentence") == "Hello there. How are you?"


def test_extract_keywords_is_frequency_then_first_appearance():
    assert text.extract_keywords(text=PROSE, top_k=4) == ["agents", "plan", "tools", "tool"]


# -- data -----------------------------------------------------------------------------------

CSV = "name,city,age\nAda,Paris,36\nBob,Lyon,25\nCy,Paris,41\nDee,Nice,\n"


@pytest.fixture
def data_root(tmp_path):
    (tmp_path / "people.csv").write_text(CSV)
    conn = sqlite3.connect(tmp_path / "shop.db")
    conn.executescript("CREATE TABLE items(name TEXT, price REAL); INSERT INTO items VALUES ('pen', 1.5), ('ink', 7), ('pad', 3);")
    conn.commit()
    conn.close()
    return tmp_path


def test_csv_query_filters_selects_and_sorts(data_root):
    q = data.pack(data_root)["csv_query"]
    result = q(path="people.csv", columns=["name"], where=["city == paris", "age > 30"], order_by="name", descending=True)
    assert result["rows"] == [{"name": "Cy"}, {"name": "Ada"}] and result["matched"] == 2


def test_csv_query_aggregates_per_group(data_root):
    q = data.pack(data_root)["csv_query"]
    result = q(path="people.csv", aggregate="mean", aggregate_column="age", group_by="city")
    assert result["rows"] == [{"city": "Lyon", "mean_age": 25.0}, {"city": "Nice", "mean_age": None}, {"city": "Paris", "mean_age": 38.5}]


def test_csv_query_refuses_paths_outside_the_root(data_root):
    (data_root / "inner").mkdir()
    with pytest.raises(AccessDenied):
        data.pack(data_root / "inner")["csv_query"](path="../people.csv")


def test_sqlite_query_selects_with_parameters_and_row_limit(data_root):
    q = data.pack(data_root, max_rows=2)["sqlite_query"]
    result = q(database="shop.db", sql="SELECT name, price FROM items WHERE price > ? ORDER BY price", parameters=[1])
    assert result == {"columns": ["name", "price"], "rows": [["pen", 1.5], ["pad", 3.0]], "truncated": True}


def test_sqlite_write_is_refused_in_read_only_mode(data_root):
    q = data.pack(data_root)["sqlite_query"]
    with pytest.raises(AccessDenied, match="read-only"):
        q(database="shop.db", sql="DELETE FROM items")
    with pytest.raises(AccessDenied, match="not authorized"):  # past the keyword check, stopped inside SQLite
        q(database="shop.db", sql="WITH x AS (SELECT 1) DELETE FROM items")
    assert q(database="shop.db", sql="SELECT count(*) FROM items")["rows"] == [[3]]


def test_sqlite_attach_is_refused_even_when_writable(data_root):
    q = data.pack(data_root, writable=True)["sqlite_query"]
    with pytest.raises(AccessDenied):
        q(database="shop.db", sql=f"ATTACH DATABASE '{data_root.parent / 'other.db'}' AS o")


def test_sqlite_writes_when_the_pack_is_writable(data_root):
    q = data.pack(data_root, writable=True)["sqlite_query"]
    assert q(database="shop.db", sql="INSERT INTO items VALUES ('cap', 2)")["rows_affected"] == 1
    assert q(database="shop.db", sql="SELECT count(*) FROM items")["rows"] == [[4]]


def test_sqlite_query_stops_at_the_time_limit(data_root):
    q = data.pack(data_root, query_seconds=0.05)["sqlite_query"]
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(TimeoutError, match="ran over"):
        q(database="shop.db", sql=endless)


# -- http -----------------------------------------------------------------------------------


def _mock(seen: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/redirect":
            return httpx.Response(302, headers={"location": "https://evil.test/steal"})
        if request.url.path == "/big":
            return httpx.Response(200, content=b"x" * 5000)
        return httpx.Response(200, text="hello from " + request.url.host, headers={"content-type": "text/plain"})

    return httpx.MockTransport(handler)


def test_fetch_returns_text_from_an_allowed_host():
    seen: list[str] = []
    fetch = http_pack.pack(["api.example.com"], transport=_mock(seen))["fetch"]
    result = fetch(url="https://api.example.com/x")
    assert (result["status"], result["text"], result["truncated"]) == (200, "hello from api.example.com", False)


def test_fetch_refuses_hosts_not_in_the_allowlist():
    seen: list[str] = []
    fetch = http_pack.pack(["api.example.com"], transport=_mock(seen))["fetch"]
    with pytest.raises(AccessDenied, match="'evil.test' is not in the allowlist"):
        fetch(url="https://evil.test/")
    assert seen == []


def test_fetch_refuses_everything_by_default():
    seen: list[str] = []
    with pytest.raises(AccessDenied, match="allowed: none"):
        http_pack.pack(transport=_mock(seen))["fetch"](url="https://api.example.com/")
    assert seen == []


def test_fetch_refuses_a_redirect_to_a_host_off_the_allowlist():
    seen: list[str] = []
    fetch = http_pack.pack(["api.example.com"], transport=_mock(seen))["fetch"]
    with pytest.raises(AccessDenied, match="evil.test"):
        fetch(url="https://api.example.com/redirect")
    assert seen == ["https://api.example.com/redirect"]


def test_fetch_refuses_non_http_schemes():
    with pytest.raises(AccessDenied, match="only http and https"):
        http_pack.pack(["api.example.com"])["fetch"](url="file:///etc/passwd")


def test_fetch_cuts_the_body_at_the_size_cap():
    fetch = http_pack.pack(["api.example.com"], max_bytes=100, transport=_mock([]))["fetch"]
    result = fetch(url="https://api.example.com/big")
    assert len(result["text"]) == 100 and result["truncated"]


def test_fetch_from_a_local_server_with_a_port_in_the_allowlist():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        result = http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/status")
        assert (result["text"], result["content_type"]) == ('{"ok": true}', "application/json")
    finally:
        server.shutdown()
        server.server_close()


# -- taskbench ------------------------------------------------------------------------------


def test_taskbench_resource_tools_return_typed_simulated_outputs():
    draw = taskbench.pack(FIX / "taskbench_resource")["Text-to-Image"]
    assert draw.simulated and draw.input_types == ["text"]
    assert draw(text="a cat") == {
        "simulated": True, "tool": "Text-to-Image", "type": "image",
        "value": "<simulated image from Text-to-Image>", "arguments": {"text": "a cat"},
    }  # fmt: skip


async def test_taskbench_outputs_flow_into_the_next_resource_tool():
    tools = taskbench.pack(FIX / "taskbench_resource")
    image = await tools["Text-to-Image"].acall({"text": "a cat"})
    label = await tools["Image Classification"].acall({"image": image})
    assert label["type"] == "text" and label["arguments"] == {"image": "<simulated image from Text-to-Image>"}


async def test_taskbench_api_tools_take_the_api_parameters():
    weather = taskbench.pack(FIX / "taskbench_temporal")["get_weather"]
    out = await weather.acall({"location": "Paris", "date": "2024-03-01"})
    assert out["simulated"] and out["type"] == "result" and out["arguments"] == {"location": "Paris", "date": "2024-03-01"}
    with pytest.raises(ToolArgumentError, match="date"):
        await weather.acall({"location": "Paris"})


async def test_taskbench_plan_runs_end_to_end_through_the_agent():
    from agentkit.agent import Agent
    from agentkit.models import FunctionModel
    from agentkit.result import RunStatus

    plan = {
        "task_steps": ["draw a cat", "label the drawing"],
        "task_nodes": [{"task": "Text-to-Image", "arguments": {"text": "a cat"}},
                       {"task": "Image Classification", "arguments": {"image": "<node-0>"}}],
        "task_links": [{"source": "Text-to-Image", "target": "Image Classification"}],
    }  # fmt: skip
    domain = taskbench.load_domain(FIX / "taskbench_resource")

    def reply(messages, schema):  # each planner phase gets the part of the plan its schema asks for; others "done"
        if schema is None:
            return "done"
        wanted = [k for k in schema.get("properties", {}) if k in plan or k in schema.get("required", [])]
        return {k: plan.get(k, "done") for k in wanted}

    model = FunctionModel(reply)
    result = await Agent(domain.registry, model=model, retriever=None, links=domain.links).run("label a drawn cat")
    assert result.status == RunStatus.OK
    assert [(n.simulated, n.output["type"]) for n in result.nodes] == [(True, "image"), (True, "text")]


def test_taskbench_tools_are_keyword_callable_tools():
    for t in taskbench.pack(FIX / "taskbench_temporal"):
        assert isinstance(t, Tool) and t.func is not None
        assert t(**{p: "x" for p in t.parameter_names})["tool"] == t.name


def test_default_module_tools_do_not_escape_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("A")
    assert files.read_file(path="a.txt") == "A"
    with pytest.raises(AccessDenied):
        files.read_file(path=os.path.join("..", "x"))
