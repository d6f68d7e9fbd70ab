"""Source adapters: the CSV source from a local path and from an http server, through the upload's checks."""

from __future__ import annotations

import http.server
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from indicators import services
from indicators.adapters import REGISTRY, CsvSource, MeasurementSource, SourceError, build_source
from indicators.models import Indicator, Measurement
from indicators.tabular import MeasurementRow
from reform.errors import PermissionDenied
from tests.factories import make_task
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
BODY = "任务编号,指标名称,期间,数值\n1,一网通办率,2026-10,64\n1,一网通办率,2026年9月,60\n".encode()


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def indicator(dsj):
    task = make_task("1", lead_unit=dsj)
    return Indicator.objects.create(task=task, name="一网通办率", unit="%", baseline_value=40, target_value=100)


@pytest.fixture
def http_source():
    """A tiny statistics server on a free local port: /stats.csv answers BODY, anything else 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            if self.path != "/stats.csv":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def values():
    return sorted(Measurement.objects.values_list("period_end", "value", "source"))


def test_csv_source_from_a_local_path(indicator, tmp_path):
    path = tmp_path / "统计数据.csv"
    path.write_bytes(BODY)
    report = services.measurements_pull(actor=None, source=CsvSource(path))
    assert (report["created"], report["errors"]) == (2, [])
    assert values() == [(date(2026, 9, 30), Decimal("60"), "adapter"), (date(2026, 10, 31), Decimal("64"), "adapter")]
    entry = TraceEntry.objects.get(action="indicator.import")
    assert entry.actor_name == "系统" and entry.payload["label"] == f"CSV 数据源 {path}"


def test_csv_source_from_a_local_http_server(indicator, http_source, office_user):
    report = services.measurements_pull(actor=office_user, source=CsvSource(f"{http_source}/stats.csv"))
    assert (report["created"], report["errors"]) == (2, [])
    assert values()[-1] == (date(2026, 10, 31), Decimal("64"), "adapter")
    again = services.measurements_pull(
        actor=office_user, source=build_source("csv", location=f"{http_source}/stats.csv")
    )
    assert (again["created"], again["unchanged"]) == (0, 2)


def test_unreachable_or_failing_sources_are_reported_not_raised(indicator, http_source, tmp_path):
    missing = services.measurements_pull(actor=None, source=CsvSource(f"{http_source}/missing.csv"))
    assert missing["errors"] == [
        {
            "sheet": f"CSV 数据源 {http_source}/missing.csv",
            "row": None,
            "column": "",
            "message": f"数据源返回错误 404：{http_source}/missing.csv",
        }
    ]
    gone = services.measurements_pull(actor=None, source=CsvSource(tmp_path / "nope.csv"))
    assert gone["errors"][0]["message"] == f"无法读取数据源文件：{tmp_path / 'nope.csv'}"
    ftp = services.measurements_pull(actor=None, source=CsvSource("ftp://127.0.0.1/x.csv"))
    assert ftp["errors"][0]["message"] == "只支持本地路径或 http(s) 地址：ftp://127.0.0.1/x.csv"
    assert not Measurement.objects.exists()


def test_bad_rows_from_a_source_fail_the_whole_pull(indicator, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "任务编号,指标名称,期间,数值\n1,一网通办率,2026-10,64\n1,一网通办率,2026-09,很多\n", encoding="utf-8"
    )
    report = services.measurements_pull(actor=None, source=CsvSource(path))
    assert report["errors"] == [
        {"sheet": f"CSV 数据源 {path}", "row": 3, "column": "数值", "message": "数值“很多”不是数字"}
    ]
    assert not Measurement.objects.exists()


def test_only_the_office_pulls(indicator, dsj_handler, tmp_path):
    with pytest.raises(PermissionDenied, match="您的角色无权从外部数据源拉取指标数据"):
        services.measurements_pull(actor=dsj_handler, source=CsvSource(tmp_path / "x.csv"))


def test_a_new_source_plugs_in_through_the_registry(indicator):
    from indicators.adapters import register

    @register("test-static")
    class StaticSource(MeasurementSource):
        label = "测试数据源"

        def fetch(self):
            return [MeasurementRow(task_code="1", indicator_name="一网通办率", period=date(2026, 10, 31), value=66)]

    try:
        report = services.measurements_pull(actor=None, source=build_source("test-static"))
        assert report["created"] == 1 and Measurement.objects.get().value == 66
    finally:
        REGISTRY.pop("test-static")
    with pytest.raises(SourceError, match="未知的数据源类型“test-static”"):
        build_source("test-static")
