"""The report: a plain-text table on stdout and a JSON record with everything measured."""
import json
import math

from benchmarks import memory, targets
from benchmarks.baselines import BASELINE_ORDER
from benchmarks.results import BASELINE_LABELS

COLUMNS = ("workload", "framework", "batch", "step ms", "fit samples/s", "warm-up s", "peak mem", "loss first->last")


def fmt_ms(seconds):
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_num(value, digits=0):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def fmt_s(value):
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def fmt_flops(tflops):
    return f"{tflops:.1f} TFLOP/s" if tflops >= 1 else f"{tflops * 1e3:.0f} GFLOP/s"


def fmt_loss(first, last):
    if first is None or last is None:
        return "-"

    def one(v):
        return "nan" if math.isnan(v) else f"{v:.3g}"

    return f"{one(first)}->{one(last)}"


def _ratio_cell(row, results, baseline, verdicts):
    base_row = targets.baseline_for(results, row, baseline)
    ratio = targets.step_ratio(row, base_row)
    text = "-" if ratio is None else f"{ratio:.2f}"
    key = (row.backend, row.workload, row.variant, baseline, "step")
    if key in verdicts and ratio is not None:
        text += " " + verdicts[key]["verdict"]
    fit_key = (row.backend, row.workload, row.variant, baseline, "fit")
    if fit_key in verdicts:
        record = verdicts[fit_key]
        fit = "-" if record["ratio"] is None else f"x{record['ratio']:.2f}"
        text += f" (fit {fit} {record['verdict']})"
    return text


def _notes(row):
    notes = []
    if not row.ok and row.reason and row.reason != row.status:
        notes.append(row.reason)
    if row.tflops is not None:
        text = fmt_flops(row.tflops)
        if row.peak_tflops:
            text += f" = {100 * row.tflops / row.peak_tflops:.0f}% of matmul peak {fmt_flops(row.peak_tflops)}"
        notes.append(text)
    if row.fit_kind and row.fit_kind != "fit()":
        notes.append("fit = " + row.fit_kind)
    if row.iterations:
        notes.append(f"{row.iterations} calls/block")
    notes.extend(n for n in row.notes if n and "\n" not in n and not n.startswith("threads="))
    return "; ".join(notes)


def table_rows(results, target_records):
    verdicts = targets.cell_verdicts(target_records)
    present = [b for b in BASELINE_ORDER if any(r.framework == b and r.ok for r in results)]
    if not any(r.framework == "nnkit" and r.ok for r in results):
        present = []  # no nnkit row to compare: no ratio columns
    header = list(COLUMNS) + [f"vs {BASELINE_LABELS[b]}" for b in present] + ["notes"]
    rows = []
    for row in results:
        if row.ok:
            cells = [row.workload, row.label, str(row.batch or "-"), fmt_ms(row.step_s),
                     fmt_num(row.fit_samples_per_s), fmt_s(row.warmup_s),
                     memory.format_bytes(memory.Measurement.from_dict(row.memory) if row.memory else None),
                     fmt_loss(row.loss_first, row.loss_last)]
        else:
            cells = [row.workload, row.label, "-", row.status] + ["-"] * (len(COLUMNS) - 4)
        for baseline in present:
            cells.append(_ratio_cell(row, results, baseline, verdicts) if row.framework == "nnkit" and row.ok else "")
        cells.append(_notes(row))
        rows.append(cells)
    return header, rows


def render_table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    widths[-1] = 0  # notes: not padded

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(header), line(["-" * w for w in widths[:-1]] + ["-----"])]
    previous = None
    for cells in rows:
        if previous is not None and cells[0] != previous:
            out.append("")
        out.append(line(cells))
        previous = cells[0]
    return "\n".join(out)


def render_targets(records):
    if not records:
        return "Targets: none apply to the rows that ran."
    out = ["Targets (ratios within this run):"]
    for r in records:
        ratio = "-" if r["ratio"] is None else (f"x{r['ratio']:.2f}" if r["metric"] == "fit" else f"{r['ratio']:.2f}")
        line = f"  [{r['verdict']:>4}] {r['target']}: {ratio}"
        if r["why_missing"]:
            line += f"  ({r['why_missing']})"
        out.append(line)
    counts = {v: sum(1 for r in records if r["verdict"] == v) for v in (targets.PASS, targets.MISS, targets.MISSING)}
    out.append(f"  {counts['PASS']} PASS, {counts['MISS']} MISS, {counts['-']} not measurable in this run")
    return "\n".join(out)


def render_machine(machine):
    lib = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items() if v)
    gpu = machine.get("gpu") or "none"
    load = machine.get("load_average_at_start")
    busy = ""
    if load and machine.get("cores") and load[0] > max(0.5, 0.25 * machine["cores"]):
        busy = (f"\nNOTE: the machine was busy when the run started (1-min load average {load[0]} on "
                f"{machine['cores']} cores): CPU timings may be noisy; compare ratios from a quiet run.")
    return (f"Machine: {machine['cpu_model']} ({machine['cores']} cores, {machine.get('memory_gib', '?')} GiB), "
            f"GPU: {gpu}\nPython {machine['python']}; {lib}\nDate: {machine['date']}  Device: {machine['device']}"
            + busy)


def render(machine, results, target_records, config):
    header, rows = table_rows(results, target_records)
    parts = [render_machine(machine), "", render_table(header, rows), "", render_targets(target_records)]
    failed = [r for r in results if r.status == "error"]
    if failed:
        parts += ["", "Errors:"] + [f"  {r.workload} {r.label}: {r.reason}" for r in failed]
    parts += ["", "step ms = median over repeats of (timed block / steps); predict rows: latency per call. "
              "warm-up s = the first step (compile included). peak mem: "
              + ("GPU: each library's own peak counter." if config.get("device") == "gpu"
                 else "peak RSS growth during the row (VmHWM reset per row).")
              + " vs X = nnkit step time / X's step time (lower is better)."]
    return "\n".join(parts)


def to_json(machine, config, results, target_records, extra=None):
    record = {
        "schema": 1,
        "machine": machine,
        "config": config,
        "results": [r.as_dict() for r in results],
        "targets": target_records,
    }
    if extra:
        record.update(extra)
    return record


def write_json(path, record):
    def default(value):
        if hasattr(value, "item"):
            return value.item()
        return str(value)

    with open(path, "w") as f:
        json.dump(record, f, indent=2, default=default, allow_nan=True)
        f.write("\n")

