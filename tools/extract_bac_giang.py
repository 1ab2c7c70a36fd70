"""Extract the former Bac Giang province (pre-2025 districts and communes) and its
old -> new commune mapping from the `vietnam-provinces` 2026 wheel.

The 2026 releases of vietnam-provinces (GPL-3.0) need Python >= 3.12, so Ngo So
cannot depend on them at run time on Python 3.11. This script is run once, by hand,
against an unpacked wheel, and its output is committed as
``src/ngoso/demo/data/bac_giang_2025.csv``::

    pip download --no-deps --python-version 3.12 --only-binary=:all: -d /tmp/w vietnam-provinces==2026.9.0
    unzip /tmp/w/*.whl -d /tmp/w/x
    PYTHONPATH=/tmp/w/x python tools/extract_bac_giang.py > src/ngoso/demo/data/bac_giang_2025.csv
"""

import csv
import sys

import vietnam_provinces
from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW
from vietnam_provinces.legacy._lookup import DISTRICT_MAPPING, PROVINCE_MAPPING, WARD_MAPPING

OLD_PROVINCE = 24  # Tinh Bac Giang before 1 July 2025


def main() -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["# source: vietnam-provinces " + vietnam_provinces.__version__
                  + " (GPL-3.0), legacy divisions and 2025 ward conversion table"])
    out.writerow(["level", "code", "name", "type", "parent_code", "new_codes", "partly_merged"])
    province = PROVINCE_MAPPING[OLD_PROVINCE]
    out.writerow(["province", f"{int(province.code):02d}", province.name, str(province.division_type), "", "", ""])
    for district in sorted(DISTRICT_MAPPING.values(), key=lambda d: int(d.code)):
        if int(district.province_code) != OLD_PROVINCE:
            continue
        out.writerow(["district", f"{int(district.code):03d}", district.name, str(district.division_type),
                      f"{OLD_PROVINCE:02d}", "", ""])
    for ward in sorted(WARD_MAPPING.values(), key=lambda w: int(w.code)):
        if int(ward.province_code) != OLD_PROVINCE:
            continue
        entry = OLD_TO_NEW.get(int(ward.code))
        if entry is None:  # listed in the legacy data but absent from the 2025 conversion table
            print(f"skipped {int(ward.code):05d} {ward.name}: not in the 2025 conversion table", file=sys.stderr)
            continue
        new_codes = ";".join(f"{int(n.code):05d}" for n in entry.new_wards)
        out.writerow(["commune", f"{int(ward.code):05d}", ward.name, str(ward.division_type),
                      f"{int(ward.district_code):03d}", new_codes, "1" if entry.old_ward.is_partly_merged else "0"])


if __name__ == "__main__":
    main()
