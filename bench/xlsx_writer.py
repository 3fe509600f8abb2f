"""The XLSX writer alone: seconds to write N customer rows of the export's 18 columns.

    python -m bench.xlsx_writer [--rows 300000] [--repeat 1]

Rows are synthetic but shaped like the export's (an int id, short codes,
names, dates, ';'-joined contacts and accounts, some empty cells), made in
memory before the clock starts, so the figure is the writer's own cost with
no store reads. The whole export of a real store is `python -m
bench.customer_export`. Prints seconds, file size and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from sagicc_tui.local_store.customer_export import COLUMNS, write_xlsx


def synthetic_rows(n: int) -> list[list[object]]:
    out = []
    for i in range(1, n + 1):
        out.append([
            i, "person" if i % 7 else "company", "cc" if i % 7 else "nit", str(10_000_000 + i * 37),
            f"Nombre{i % 997}", "" if i % 3 else "María", f"Apellido{i % 1499}", "" if i % 2 else "Gómez",
            "" if i % 5 else "1980-04-12", "active", "2026-11-25 12:00", "" if i % 4 else "bruno",
            "" if i % 6 else "vip; moroso", f"cliente{i}@correo.co", f"+57 300 {i % 1000:03d} {i % 10000:04d}",
            "" if i % 3 else "Calle 10 # 5-20, Bogotá", "", f"cuenta {i}: plan hogar" if i % 2 else "",
        ])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    data = synthetic_rows(args.rows)
    header = list(COLUMNS)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "clientes.xlsx")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            write_xlsx(path, header, iter(data), "Customers")
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            print(f"{args.rows} rows: {wall:.1f} s wall, {cpu:.1f} s CPU, {os.path.getsize(path) / 1e6:.1f} MB, "
                  f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
