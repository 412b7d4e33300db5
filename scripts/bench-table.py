#!/usr/bin/env python3
"""Turns Google Benchmark JSON from veil-bench-ntt / veil-bench-fhe into the
markdown tables of docs/benchmarks.md (medians of repetitions, CPU time).

  build/bench/veil-bench-ntt --benchmark_repetitions=5 \
      --benchmark_report_aggregates_only=true --benchmark_format=json > ntt.json
  build/bench/veil-bench-fhe --benchmark_repetitions=5 \
      --benchmark_report_aggregates_only=true --benchmark_format=json > fhe.json
  scripts/bench-table.py ntt.json fhe.json
"""
import json
import re
import sys

SEAL_NTT = {4096: (42, 36), 8192: (90, 78), 16384: (192, 166)}  # forward, forward lazy (us)
SEAL_CKKS = {  # us, N = 4096 / 8192 / 16384
    "encrypt_sk": (529, 1778, 6680), "encrypt_pk": (1255, 3769, 13132),
    "decrypt": (40, 161, 644), "multiply_plain": (58, 236, 959),
    "multiply": (123, 504, 2058), "relinearize": (706, 3620, 23582),
    "rescale": (186, 859, 3642), "rotate": (717, 3691, 23130),
}
SIZES = (4096, 8192, 16384)


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
        out[b["run_name"]] = b["cpu_time"] * unit
    return data.get("context", {}), out


def ntt_table(m):
    rows = ["| N | forward scalar | forward AVX2 | forward lazy AVX2 | inverse scalar | inverse AVX2 | SEAL forward (lazy) | AVX2 vs scalar | SEAL / ours (forward) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for n in SIZES:
        def get(pattern):
            for k, v in m.items():
                if re.fullmatch(pattern, k):
                    return v
            return float("nan")
        fs = get(rf"BM_NttForward/scalar/{n}")
        fa = get(rf"BM_NttForward/avx2/{n}")
        fla = get(rf"BM_NttForwardLazy/avx2/{n}")
        is_ = get(rf"BM_NttInverse/scalar/{n}")
        ia = get(rf"BM_NttInverse/avx2/{n}")
        seal, seal_lazy = SEAL_NTT[n]
        rows.append(f"| {n} | {fs:.1f} | {fa:.1f} | {fla:.1f} | {is_:.1f} | {ia:.1f} | {seal} ({seal_lazy}) | {fs / fa:.2f}x | {seal / fa:.2f}x |")
    return "\n".join(rows)


def fhe_table(m, scheme):
    ops = sorted({re.sub(r"^BM_%s_(.*)/\d+$" % scheme, r"\1", k) for k in m if k.startswith(f"BM_{scheme}_")})
    order = ["encrypt_sk", "encrypt_sk_seeded", "encrypt_pk", "decrypt", "add", "multiply_plain",
             "multiply", "relinearize", "rescale", "mod_switch", "rotate"]
    ops = [o for o in order if o in ops]
    head = "| operation | " + " | ".join(f"N={n}" for n in SIZES)
    if scheme == "ckks":
        head += " | " + " | ".join(f"SEAL / ours N={n}" for n in SIZES)
    rows = [head + " |", "|" + "---|" * (len(SIZES) * (2 if scheme == "ckks" else 1) + 1)]
    for op in ops:
        vals = [m.get(f"BM_{scheme}_{op}/{n}", float("nan")) for n in SIZES]
        row = f"| {op} | " + " | ".join(f"{v:,.1f}" for v in vals)
        if scheme == "ckks":
            seal = SEAL_CKKS.get(op)
            row += " | " + " | ".join(f"{s / v:.2f}x" if seal else "-" for s, v in zip(seal or SIZES, vals))
        rows.append(row + " |")
    return "\n".join(rows)


def main():
    ctx, ntt = medians(sys.argv[1])
    _, fhe = medians(sys.argv[2])
    print(f"Machine: {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz, "
          f"load average {ctx.get('load_avg')}, date {ctx.get('date')}\n")
    print("### NTT of one limb, 60-bit prime (median CPU time, us)\n")
    print(ntt_table(ntt))
    print("\n### CKKS operations (median CPU time, us)\n")
    print(fhe_table(fhe, "ckks"))
    print("\n### BGV operations, t = 65537 (median CPU time, us)\n")
    print(fhe_table(fhe, "bgv"))


if __name__ == "__main__":
    main()
