"""Drives a running Fengqiao's Open311 GeoReport v2 endpoints with an outside client, the
`georeport` package (PyPI), in JSON and in XML. georeport reads; the reports are posted as
GeoReport v2 forms with `requests`, georeport's own HTTP library, and a system account's key
that an administrator creates first. Exits 1 on the first thing that is not as expected.

Usage: python3 open311.py BASE   (the demo password is fengqiao-demo)
"""
import sys

import requests
from georeport import GeoReport

base = sys.argv[1]
admin = requests.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": "fengqiao-demo"})
admin.raise_for_status()
bearer = {"Authorization": f"Bearer {admin.json()['token']}"}
units = requests.get(f"{base}/api/v1/units", headers=bearer).json()
units = units["items"] if isinstance(units, dict) else units
street = next(u for u in units if u["kind"] == "centre" and u["name"].endswith("街道综治中心"))
account = requests.post(f"{base}/api/v1/system-accounts", headers=bearer,
                        json={"name": "georeport", "unit_id": street["id"], "permissions": ["case_register"]})
account.raise_for_status()
key = account.json()["api_key"]


def as_list(found):
    """xmltodict reads one child as a dict, several as a list."""
    return found if isinstance(found, list) else [found]


def check(condition, what):
    if not condition:
        sys.exit(f"open311: {what}")


reported = {}
for fmt in ("json", "xml"):
    client = GeoReport(f"{base}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    check(len(services) == 21 and "labor" in codes and "neighbor" in codes, f"{fmt} services: {codes}")
    labor = next(s for s in services if s["service_code"] == "labor")
    check(labor["service_name"] == "劳动争议" and str(labor["metadata"]).lower() == "false", f"{fmt} labor: {labor}")
    definition = client.get_service_definition("neighbor")
    check(definition["service_code"] == "neighbor", f"{fmt} definition: {definition}")

    posted = requests.post(f"{base}/open311/v2/requests.{fmt}", data={
        "api_key": key, "service_code": "neighbor", "description": f"楼上邻居装修噪音持续到深夜，多次沟通无果（{fmt}）。",
        "address_string": "兰州市城关区张掖路街道中山林社区5号", "lat": "36.0611", "long": "103.8343",
        "first_name": "小明", "last_name": "王", "phone": "13912345678", "email": "wang@example.com",
    })
    check(posted.status_code == 201, f"{fmt} report: {posted.status_code} {posted.text}")
    if fmt == "json":
        request_id = posted.json()[0]["service_request_id"]
    else:
        request_id = posted.text.split("<service_request_id>")[1].split("<")[0]
    reported[fmt] = request_id

    one = client.get_service_request(request_id)
    check(one["service_request_id"] == request_id and one["status"] == "open", f"{fmt} request: {one}")
    check(one["service_code"] == "neighbor" and not one.get("description"), f"{fmt} public request: {one}")
    listed = as_list(client.get_service_requests(service_code="neighbor", status="open"))
    ids = [r["service_request_id"] for r in listed]
    check(request_id in ids, f"{fmt} list: {ids}")
    check(all(not r.get("description") and not r.get("lat") for r in listed), f"{fmt} public list: {listed}")
    by_id = as_list(client.get_service_requests(service_request_id=request_id, status="closed"))
    check([r["status"] for r in by_id] == ["open"], f"{fmt} ids override the other filters: {by_id}")

bad = requests.post(f"{base}/open311/v2/requests.json", data={"api_key": "wrong", "service_code": "labor"})
check(bad.status_code == 403 and bad.json()[0]["code"] == 403, f"bad key: {bad.status_code} {bad.text}")
print(f"open311: georeport read the services and the requests {reported} in JSON and XML")
